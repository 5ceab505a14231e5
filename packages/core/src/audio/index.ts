/**
 * Audio utilities. The currency is rtc-node's `AudioFrame`: interleaved 16-bit PCM with its
 * sample rate and channel count. Nothing here resamples in JavaScript; AudioConverter drives
 * rtc-node's native resampler.
 */
export { AudioByteStream } from './byte-stream.js';
export { convertChannels, downmixToMono } from './channels.js';
export { AudioConverter, type AudioConverterOptions, resampleFrames } from './converter.js';
export {
  combineFrames,
  createSilentFrame,
  frameDuration,
  framesDuration,
  mergeFrames,
  samplesForDuration,
} from './frames.js';
export { assertAudioFrame } from './validate.js';
export { decodeWav, encodeWav, readWavFile, writeWavFile } from './wav.js';
