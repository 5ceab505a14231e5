import type { AudioFrame } from '@livekit/rtc-node';
import { assertPositiveInteger } from './frames.js';
import { newAudioFrame } from './rtc.js';

/**
 * Mixes every channel into one by averaging, rounded to the nearest integer. A mono frame is
 * returned as is. An average of 16-bit values is itself in range, so nothing needs clamping.
 */
export function downmixToMono(frame: AudioFrame): AudioFrame {
  const { channels, samplesPerChannel } = frame;
  if (channels === 1) return frame;
  const input = frame.data;
  const mono = new Int16Array(samplesPerChannel);
  for (let i = 0, at = 0; i < samplesPerChannel; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += input[at++];
    mono[i] = Math.round(sum / channels);
  }
  return newAudioFrame(mono, frame.sampleRate, 1, samplesPerChannel);
}

/**
 * Gives `frame` the requested number of channels: mono is copied to every channel, several
 * channels are averaged into mono. A frame that already matches is returned as is; any other
 * conversion (stereo to 5.1, say) has no single right answer and is refused.
 */
export function convertChannels(frame: AudioFrame, channels: number): AudioFrame {
  assertPositiveInteger('channels', channels);
  if (frame.channels === channels) return frame;
  if (channels === 1) return downmixToMono(frame);
  if (frame.channels !== 1) {
    throw new RangeError(
      `cannot convert ${frame.channels} channels to ${channels}: ` +
        'only mono to N channels and N channels to mono are supported',
    );
  }
  const { samplesPerChannel } = frame;
  const input = frame.data;
  const output = new Int16Array(samplesPerChannel * channels);
  for (let i = 0, at = 0; i < samplesPerChannel; i++) {
    const sample = input[i];
    for (let c = 0; c < channels; c++) output[at++] = sample;
  }
  return newAudioFrame(output, frame.sampleRate, channels, samplesPerChannel);
}
