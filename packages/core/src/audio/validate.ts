import type { AudioFrame } from '@livekit/rtc-node';

/**
 * Throws a TypeError naming the bad field unless `frame` is a usable audio
 * frame: an object with Int16Array `data`, a positive whole `sampleRate` and
 * `channels`, a whole `samplesPerChannel` >= 0, and data at least as long as
 * it declares. Frame streams call it in `pushFrame`, so a bad frame is refused
 * where it comes from, instead of failing the stream later inside `run()`.
 * Checks the shape, not the class, so frames from another copy of rtc-node pass.
 */
export function assertAudioFrame(frame: unknown, name = 'frame'): asserts frame is AudioFrame {
  if (typeof frame !== 'object' || frame === null) {
    throw new TypeError(
      `${name} must be an AudioFrame (got ${frame === null ? 'null' : typeof frame})`,
    );
  }
  const { data, sampleRate, channels, samplesPerChannel } = frame as Partial<AudioFrame>;
  if (!(data instanceof Int16Array)) {
    throw new TypeError(`${name}.data must be an Int16Array: is it an AudioFrame?`);
  }
  positiveInteger(`${name}.sampleRate`, sampleRate);
  positiveInteger(`${name}.channels`, channels);
  if (!Number.isInteger(samplesPerChannel) || (samplesPerChannel as number) < 0) {
    throw new TypeError(
      `${name}.samplesPerChannel must be a whole number >= 0 (got ${String(samplesPerChannel)})`,
    );
  }
  const needed = (channels as number) * (samplesPerChannel as number);
  if (data.length < needed) {
    throw new TypeError(
      `${name}.data holds ${data.length} samples, but the frame declares ${needed} ` +
        `(${samplesPerChannel} per channel x ${channels} channel(s))`,
    );
  }
}

function positiveInteger(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) <= 0) {
    throw new TypeError(`${name} must be a positive integer (got ${String(value)})`);
  }
}
