import { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { AudioConverter, combineFrames, resampleFrames } from '../src/audio/index.js';

/**
 * `seconds` of a sine tone cut into 10 ms frames. Each channel gets its own amplitude, so a
 * downmix is visible in the result.
 */
function sineFrames(
  sampleRate: number,
  seconds: number,
  { hz = 440, amplitudes = [10_000] }: { hz?: number; amplitudes?: number[] } = {},
): AudioFrame[] {
  const channels = amplitudes.length;
  const total = Math.round(sampleRate * seconds);
  const perFrame = sampleRate / 100;
  const frames: AudioFrame[] = [];
  for (let start = 0; start < total; start += perFrame) {
    const frame = AudioFrame.create(sampleRate, channels, Math.min(perFrame, total - start));
    for (let i = 0; i < frame.samplesPerChannel; i++) {
      const phase = Math.sin((2 * Math.PI * hz * (start + i)) / sampleRate);
      amplitudes.forEach((amplitude, c) => {
        frame.data[i * channels + c] = Math.round(amplitude * phase);
      });
    }
    frames.push(frame);
  }
  return frames;
}

function zeroCrossings(samples: Int16Array): number {
  let count = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1]! < 0 !== samples[i]! < 0) count++;
  }
  return count;
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

function convertAll(converter: AudioConverter, frames: AudioFrame[]): AudioFrame[] {
  const output = frames.flatMap((frame) => converter.push(frame));
  output.push(...converter.flush());
  return output;
}

describe('AudioConverter', () => {
  it('turns 1 s of 48 kHz stereo into 16 kHz mono, keeping pitch and level', () => {
    using converter = new AudioConverter({ sampleRate: 16_000, numChannels: 1 });
    const input = sineFrames(48_000, 1, { amplitudes: [10_000, 6000] });
    const output = convertAll(converter, input);

    for (const frame of output) {
      expect(frame.sampleRate).toBe(16_000);
      expect(frame.channels).toBe(1);
    }
    const mono = combineFrames(output);
    expect(Math.abs(mono.samplesPerChannel - 16_000)).toBeLessThanOrEqual(16);
    // 440 Hz crosses zero 880 times a second.
    expect(Math.abs(zeroCrossings(mono.data) - 880) / 880).toBeLessThan(0.02);
    // The channels average to an amplitude of 8000: RMS 8000 / sqrt(2), away from the edges.
    const middle = mono.data.subarray(1600, 14_400);
    expect(rms(middle)).toBeGreaterThan(0.97 * (8000 / Math.SQRT2));
    expect(rms(middle)).toBeLessThan(1.03 * (8000 / Math.SQRT2));
  });

  it('passes frames that already match through untouched', () => {
    using converter = new AudioConverter({ sampleRate: 16_000, numChannels: 1 });
    const [frame] = sineFrames(16_000, 0.01);
    expect(converter.push(frame!)).toEqual([frame]);
    expect(converter.push(frame!)[0]).toBe(frame);
    expect(converter.flush()).toEqual([]);
  });

  it('converts channels alone when the rate already matches', () => {
    using converter = new AudioConverter({ sampleRate: 16_000, numChannels: 2 });
    const mono = new AudioFrame(Int16Array.from([5, -7]), 16_000, 1, 2);
    const [stereo] = converter.push(mono);
    expect(Array.from(stereo!.data)).toEqual([5, 5, -7, -7]);
  });

  it('restarts the resampler when the input rate changes, without losing or reordering audio', () => {
    using converter = new AudioConverter({ sampleRate: 16_000, numChannels: 1 });
    // 0.5 s of tone at 48 kHz, then 0.5 s of silence at 24 kHz.
    const tone = sineFrames(48_000, 0.5);
    const silence = Array.from({ length: 50 }, () => AudioFrame.create(24_000, 1, 240));
    const output = convertAll(converter, [...tone, ...silence]);

    const mono = combineFrames(output);
    expect(Math.abs(mono.samplesPerChannel - 16_000)).toBeLessThanOrEqual(32);
    expect(rms(mono.data.subarray(400, 7600))).toBeGreaterThan(6500);
    expect(rms(mono.data.subarray(8400))).toBeLessThan(50);
  });

  it('stays usable after flush: each segment comes out whole', () => {
    using converter = new AudioConverter({ sampleRate: 16_000, numChannels: 1 });
    const first = convertAll(converter, sineFrames(48_000, 0.5));
    const second = convertAll(converter, sineFrames(48_000, 0.5));
    for (const segment of [first, second]) {
      const samples = combineFrames(segment).samplesPerChannel;
      expect(Math.abs(samples - 8000)).toBeLessThanOrEqual(16);
    }
  });

  it('reads frames whose data is a view into a larger buffer from the right place', () => {
    const input = combineFrames(sineFrames(48_000, 0.1));
    const backing = new Int16Array(input.data.length + 1000);
    backing.set(input.data, 1000);
    const view = new AudioFrame(backing.subarray(1000), 48_000, 1, input.samplesPerChannel);

    const fromCopy = combineFrames(resampleFrames(input, 16_000));
    const fromView = combineFrames(resampleFrames(view, 16_000));
    // Not toEqual: the native resampler dithers, so two runs differ by a unit here and there.
    expect(fromView.samplesPerChannel).toBe(fromCopy.samplesPerChannel);
    const worst = fromView.data.reduce(
      (max, v, i) => Math.max(max, Math.abs(v - fromCopy.data[i]!)),
      0,
    );
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('is closed once, and refuses work after close', () => {
    const converter = new AudioConverter({ sampleRate: 16_000, numChannels: 1 });
    converter.push(AudioFrame.create(48_000, 1, 480));
    converter.close();
    converter.close();
    expect(() => converter.push(AudioFrame.create(48_000, 1, 480))).toThrow(
      'AudioConverter.push() called after close(); create a new converter',
    );
    expect(() => converter.flush()).toThrow(/flush\(\) called after close/);
  });

  it('rejects frames with an impossible format', () => {
    using converter = new AudioConverter({ sampleRate: 16_000, numChannels: 1 });
    expect(() => converter.push(AudioFrame.create(0, 1, 10))).toThrow(
      'frame.sampleRate must be a positive integer (got 0)',
    );
    expect(() => converter.push(AudioFrame.create(16_000, 0, 10))).toThrow(/frame.channels/);
    expect(converter.push(AudioFrame.create(48_000, 1, 0))).toEqual([]);
  });

  it('validates its options', () => {
    expect(() => new AudioConverter({ sampleRate: 0, numChannels: 1 })).toThrow(/sampleRate/);
    expect(() => new AudioConverter({ sampleRate: 16_000, numChannels: 2.5 })).toThrow(
      /numChannels/,
    );
  });
});

describe('resampleFrames', () => {
  it('resamples a finite list in one go, keeping channels', () => {
    const input = sineFrames(24_000, 0.3, { amplitudes: [8000, 8000] });
    const output = resampleFrames(input, 48_000);
    const stereo = combineFrames(output);
    expect(stereo.sampleRate).toBe(48_000);
    expect(stereo.channels).toBe(2);
    expect(Math.abs(stereo.samplesPerChannel - 14_400)).toBeLessThanOrEqual(16);
    const left = stereo.data.filter((_, i) => i % 2 === 0);
    expect(Math.abs(zeroCrossings(left) - 264) / 264).toBeLessThan(0.02);
  });

  it('returns nothing for nothing', () => {
    expect(resampleFrames([], 16_000)).toEqual([]);
  });
});
