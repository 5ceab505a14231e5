import { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { WindowAssembler } from '../src/windows.js';

const shape = { sampleRate: 16_000, windowSize: 512, contextSize: 64 };

/** A ramp: sample i is i (mod 30000), so every sample's place can be checked. */
function ramp(from: number, count: number, channels = 1): AudioFrame {
  const data = new Int16Array(count * channels);
  for (let i = 0; i < count; i++) data.fill((from + i) % 30_000, i * channels, (i + 1) * channels);
  return new AudioFrame(data, 16_000, channels, count);
}

function windowsOf(frameSizes: number[], channels = 1): Float32Array[] {
  const assembler = new WindowAssembler(shape);
  const windows: Float32Array[] = [];
  let at = 0;
  const drain = () => {
    for (let window = assembler.next(); window; window = assembler.next()) {
      windows.push(window.slice());
    }
  };
  for (const size of frameSizes) {
    assembler.write(ramp(at, size, channels));
    drain();
    at += size;
  }
  assembler.flush();
  drain();
  assembler.close();
  return windows;
}

describe('WindowAssembler', () => {
  it('cuts the audio into windows, each after the end of the one before', () => {
    const windows = windowsOf(Array(20).fill(160));
    // 3200 samples: 6 whole windows; the last 128 samples wait for more.
    expect(windows).toHaveLength(6);
    windows.forEach((window, k) => {
      expect(window).toHaveLength(576);
      // The context of the first window is silence; later ones repeat the previous tail.
      expect(window[63]! * 32768).toBe(k === 0 ? 0 : k * 512 - 1);
      expect(window[64]! * 32768).toBe(k * 512);
      expect(window[575]! * 32768).toBe(k * 512 + 511);
    });
  });

  it('gives the same windows whatever the frame sizes and channels', () => {
    const even = windowsOf(Array(20).fill(160));
    expect(windowsOf([1, 2000, 7, 511, 681])).toEqual(even);
    expect(windowsOf([3200])).toEqual(even);
    expect(windowsOf(Array(20).fill(160), 2)).toEqual(even);
  });

  it('passes audio at the model rate through exactly after a stretch at another rate', () => {
    const START = 1000;
    const assembler = new WindowAssembler(shape);
    const samples: number[] = [];
    const drain = () => {
      for (let window = assembler.next(); window; window = assembler.next()) {
        for (const v of window.subarray(shape.contextSize)) samples.push(Math.round(v * 32768));
      }
    };
    // 100 ms at 24 kHz (the native converter), then 200 ms of a ramp at 16 kHz.
    for (let i = 0; i < 10; i++) {
      assembler.write(new AudioFrame(new Int16Array(240), 24_000, 1, 240));
      drain();
    }
    for (let i = 0; i < 20; i++) {
      assembler.write(ramp(START + i * 160, 160));
      drain();
    }
    assembler.close();
    // The converted stretch is silence (the native resampler may leave ±1 of dither in it);
    // the ramp follows it, every sample in place.
    const first = samples.indexOf(START);
    expect(first).toBeGreaterThan(0);
    expect(samples.slice(0, first).every((v) => Math.abs(v) <= 2)).toBe(true);
    const ramped = samples.slice(first);
    expect(ramped.length).toBeGreaterThan(2000);
    expect(ramped).toEqual(ramped.map((_, k) => START + k));
  });
});
