import { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import {
  combineFrames,
  convertChannels,
  createSilentFrame,
  downmixToMono,
  frameDuration,
  framesDuration,
  mergeFrames,
  samplesForDuration,
} from '../src/audio/index.js';

function frame(samples: number[], sampleRate = 16_000, channels = 1): AudioFrame {
  return new AudioFrame(Int16Array.from(samples), sampleRate, channels, samples.length / channels);
}

describe('combineFrames and mergeFrames', () => {
  it('concatenates frames into a new frame that owns its data', () => {
    const a = frame([1, 2, 3, 4], 48_000, 2);
    const b = frame([5, 6], 48_000, 2);
    const combined = combineFrames([a, b]);
    expect(Array.from(combined.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(combined.samplesPerChannel).toBe(3);
    expect(combined.sampleRate).toBe(48_000);
    expect(combined.channels).toBe(2);

    a.data[0] = 99;
    expect(combined.data[0]).toBe(1);
    const single = combineFrames([b]);
    expect(single).not.toBe(b);
    expect(single.data.buffer).not.toBe(b.data.buffer);
  });

  it('copies only the samples a frame declares when its data is a view on more', () => {
    const backing = Int16Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const view = new AudioFrame(backing.subarray(2), 16_000, 1, 3);
    expect(Array.from(combineFrames([view, frame([9])]).data)).toEqual([2, 3, 4, 9]);
    const short = new AudioFrame(new Int16Array(2), 16_000, 1, 3);
    expect(() => combineFrames([short])).toThrow(
      'frame 0 declares 3 samples per channel but its data holds only 2 samples',
    );
  });

  it('says what to fix when frames do not match', () => {
    expect(() => combineFrames([])).toThrow(/at least one frame \(got an empty list\)/);

    const at48k = frame([0, 0], 48_000);
    const mixed = [at48k, at48k, at48k, frame([0], 16_000)];
    expect(() => combineFrames(mixed)).toThrow(
      'frame 3 has 16000 Hz but frame 0 has 48000 Hz: resample first',
    );
    expect(() => combineFrames([frame([0, 0], 16_000, 2), frame([0])])).toThrow(
      'frame 1 has 1 channel(s) but frame 0 has 2: convert channels first',
    );
  });

  it('mergeFrames returns a single frame as is and combines a list', () => {
    const a = frame([1, 2]);
    expect(mergeFrames(a)).toBe(a);
    expect(Array.from(mergeFrames([a, frame([3])]).data)).toEqual([1, 2, 3]);
    expect(() => mergeFrames([])).toThrow(RangeError);
  });
});

describe('durations', () => {
  it('measures frames in seconds', () => {
    const tenMs = AudioFrame.create(48_000, 2, 480);
    expect(frameDuration(tenMs)).toBeCloseTo(0.01, 12);
    expect(framesDuration([tenMs, AudioFrame.create(16_000, 1, 8000)])).toBeCloseTo(0.51, 12);
    expect(framesDuration([])).toBe(0);
  });

  it('converts seconds to whole samples', () => {
    expect(samplesForDuration(16_000, 0.3)).toBe(4800);
    expect(samplesForDuration(44_100, 0.01)).toBe(441);
    expect(samplesForDuration(8000, 0)).toBe(0);
  });

  it('makes silent frames', () => {
    const silence = createSilentFrame(24_000, 2, 0.25);
    expect(silence.samplesPerChannel).toBe(6000);
    expect(silence.data.length).toBe(12_000);
    expect(silence.data.every((sample) => sample === 0)).toBe(true);
    expect(() => createSilentFrame(24_000, 0, 1)).toThrow(/numChannels/);
    expect(() => createSilentFrame(24_000, 1, -1)).toThrow(/seconds/);
  });
});

describe('channel conversion', () => {
  it('downmixes by averaging, rounded to nearest, without overflow at full scale', () => {
    const stereo = frame([100, 201, -3, -4, 32767, 32767, -32768, -32768, 32767, -32768], 8000, 2);
    const mono = downmixToMono(stereo);
    expect(mono.channels).toBe(1);
    expect(mono.samplesPerChannel).toBe(5);
    expect(mono.sampleRate).toBe(8000);
    // 150.5 and -3.5 round up (Math.round); -0.5 rounds to -0, which an Int16Array stores as 0.
    expect(Array.from(mono.data)).toEqual([151, -3, 32767, -32768, 0]);

    const threeChannels = frame([3, 6, 9, -1, -1, -2], 8000, 3);
    expect(Array.from(downmixToMono(threeChannels).data)).toEqual([6, -1]);
  });

  it('returns a frame that already has the requested channels as is', () => {
    const mono = frame([1, 2, 3]);
    expect(downmixToMono(mono)).toBe(mono);
    expect(convertChannels(mono, 1)).toBe(mono);
  });

  it('copies mono to every channel and mixes N channels to mono', () => {
    const mono = frame([1, -2, 3]);
    const stereo = convertChannels(mono, 2);
    expect(Array.from(stereo.data)).toEqual([1, 1, -2, -2, 3, 3]);
    expect(stereo.samplesPerChannel).toBe(3);
    expect(Array.from(convertChannels(mono, 3).data)).toEqual([1, 1, 1, -2, -2, -2, 3, 3, 3]);
    expect(Array.from(convertChannels(frame([2, 4, 6, 8], 8000, 2), 1).data)).toEqual([3, 7]);
  });

  it('refuses conversions with no single right answer, and nonsense counts', () => {
    expect(() => convertChannels(frame([0, 0], 8000, 2), 6)).toThrow(
      'cannot convert 2 channels to 6: only mono to N channels and N channels to mono',
    );
    expect(() => convertChannels(frame([0]), 0)).toThrow(/channels must be a positive integer/);
  });
});
