import type { AudioFrame } from '@livekit/rtc-node';
import { newAudioFrame, rtc } from './rtc.js';

/** Throws a TypeError naming `name` unless `value` is a whole number above zero. */
export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive integer (got ${String(value)})`);
  }
}

/**
 * Concatenates frames into one new frame that owns its data. All frames must share a sample
 * rate and channel count; the error says which frame differs and what to do about it.
 */
export function combineFrames(frames: readonly AudioFrame[]): AudioFrame {
  const first = frames[0];
  if (first === undefined) {
    throw new RangeError('combineFrames needs at least one frame (got an empty list)');
  }
  let totalSamplesPerChannel = 0;
  frames.forEach((frame, index) => {
    if (frame.sampleRate !== first.sampleRate) {
      throw new RangeError(
        `frame ${index} has ${frame.sampleRate} Hz but frame 0 has ${first.sampleRate} Hz: ` +
          'resample first (AudioConverter or resampleFrames)',
      );
    }
    if (frame.channels !== first.channels) {
      throw new RangeError(
        `frame ${index} has ${frame.channels} channel(s) but frame 0 has ${first.channels}: ` +
          'convert channels first (convertChannels)',
      );
    }
    if (frame.data.length < frame.channels * frame.samplesPerChannel) {
      throw new RangeError(
        `frame ${index} declares ${frame.samplesPerChannel} samples per channel ` +
          `but its data holds only ${frame.data.length} samples`,
      );
    }
    totalSamplesPerChannel += frame.samplesPerChannel;
  });

  const data = new Int16Array(totalSamplesPerChannel * first.channels);
  let offset = 0;
  for (const frame of frames) {
    // `data` may be longer than the frame declares (a view on a bigger buffer): copy what counts.
    const length = frame.channels * frame.samplesPerChannel;
    data.set(frame.data.subarray(0, length), offset);
    offset += length;
  }
  return newAudioFrame(data, first.sampleRate, first.channels, totalSamplesPerChannel);
}

/**
 * `combineFrames` under the name the Python framework uses, which also takes a single frame:
 * that one is returned as is, not copied.
 */
export function mergeFrames(buffer: AudioFrame | readonly AudioFrame[]): AudioFrame {
  return isFrameList(buffer) ? combineFrames(buffer) : buffer;
}

/** Duration of one frame, in seconds. */
export function frameDuration(frame: AudioFrame): number {
  return frame.samplesPerChannel / frame.sampleRate;
}

/** Total duration of a list of frames, in seconds (their rates may differ). */
export function framesDuration(frames: readonly AudioFrame[]): number {
  return frames.reduce((total, frame) => total + frameDuration(frame), 0);
}

/**
 * Samples per channel that `seconds` of audio take at `sampleRate`, rounded to the nearest
 * whole sample (0.3 s at 16 kHz is 4800, although 0.3 * 16000 is 4799.999...).
 */
export function samplesForDuration(sampleRate: number, seconds: number): number {
  return Math.round(sampleRate * seconds);
}

/** A frame of silence lasting `seconds`, e.g. to pad the start of a stream. */
export function createSilentFrame(
  sampleRate: number,
  numChannels: number,
  seconds: number,
): AudioFrame {
  assertPositiveInteger('sampleRate', sampleRate);
  assertPositiveInteger('numChannels', numChannels);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`seconds must be a finite number >= 0 (got ${String(seconds)})`);
  }
  return rtc().AudioFrame.create(sampleRate, numChannels, samplesForDuration(sampleRate, seconds));
}

/** Array.isArray does not narrow a `readonly T[]` out of a union, so say it once here. */
export function isFrameList(
  buffer: AudioFrame | readonly AudioFrame[],
): buffer is readonly AudioFrame[] {
  return Array.isArray(buffer);
}
