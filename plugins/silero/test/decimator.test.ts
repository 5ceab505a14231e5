import { describe, expect, it } from 'vitest';
import { Decimator } from '../src/decimator.js';

/** `seconds` of a sine at `hz`, amplitude `peak` of full scale, `channels` identical channels. */
function tone(rate: number, hz: number, seconds: number, peak = 0.5, channels = 1): Int16Array {
  const count = Math.round(rate * seconds);
  const data = new Int16Array(count * channels);
  for (let i = 0; i < count; i++) {
    const value = Math.round(peak * 32767 * Math.sin((2 * Math.PI * hz * i) / rate));
    data.fill(value, i * channels, (i + 1) * channels);
  }
  return data;
}

/** Pushes `data` in frames of `frameSize` samples per channel, then flushes. */
function decimate(factor: number, data: Int16Array, frameSize: number, channels = 1): Float32Array {
  const decimator = new Decimator(factor);
  const total = data.length / channels;
  const out = new Float32Array(decimator.maxOutputs(total) + total);
  let written = 0;
  for (let at = 0; at < total; at += frameSize) {
    const size = Math.min(frameSize, total - at);
    const frame = data.subarray(at * channels, (at + size) * channels);
    written += decimator.push(frame, channels, size, out, written);
  }
  written += decimator.flush(out, written);
  return out.subarray(0, written);
}

const rms = (values: Float32Array) =>
  Math.sqrt(values.reduce((sum, v) => sum + v * v, 0) / values.length);
const dB = (ratio: number) => 20 * Math.log10(ratio);

describe('Decimator', () => {
  it('gives one output per `factor` inputs, the last ones on flush', () => {
    for (const total of [4800, 4801, 4802, 4803]) {
      expect(decimate(3, tone(48_000, 440, total / 48_000), 480)).toHaveLength(
        Math.ceil(total / 3),
      );
    }
    // A frame shorter than the filter's reach gives nothing until more comes.
    const decimator = new Decimator(3);
    const out = new Float32Array(decimator.maxOutputs(10));
    expect(decimator.push(new Int16Array(10), 1, 10, out, 0)).toBe(0);
    expect(decimator.flush(out, 0)).toBe(4);
  });

  it('passes speech frequencies unchanged in level and time (no delay)', () => {
    for (const [rate, factor, hz] of [
      [48_000, 3, 1000],
      [48_000, 3, 4000],
      [32_000, 2, 3000],
      [48_000, 6, 2000],
    ] as const) {
      const out = decimate(factor, tone(rate, hz, 0.5), 480);
      const outRate = rate / factor;
      // Away from the edges, where the filter reaches into the silence around the input.
      const edge = 64;
      let worst = 0;
      for (let j = edge; j < out.length - edge; j++) {
        const expected = 0.5 * Math.sin((2 * Math.PI * hz * j) / outRate);
        worst = Math.max(worst, Math.abs(out[j]! - expected));
      }
      // A delay of one input sample would already be an error of 2 pi hz / rate * 0.5 (0.07
      // at 1 kHz); the bound is the ripple and the 16-bit rounding of the input.
      expect(worst, `${hz} Hz at ${rate} / ${factor}`).toBeLessThan(0.004);
    }
  });

  it('centres output j on input j * factor: an impulse comes out where it went in', () => {
    const data = new Int16Array(3000);
    data[1500] = 30_000;
    const out = decimate(3, data, 480);
    const peak = out.indexOf(Math.max(...out));
    expect(peak).toBe(500);
    expect(out[499]).toBeCloseTo(out[501]!, 6);
  });

  it('attenuates what would fold back into the output band by at least 55 dB', () => {
    for (const [rate, factor, hz] of [
      [48_000, 3, 10_500],
      [48_000, 3, 12_000],
      [48_000, 3, 20_000],
      [32_000, 2, 11_000],
      [16_000, 2, 5_500],
    ] as const) {
      const out = decimate(factor, tone(rate, hz, 0.5), 480);
      const inside = out.subarray(64, out.length - 64);
      expect(dB(rms(inside) / (0.5 / Math.SQRT2)), `${hz} Hz at ${rate} / ${factor}`).toBeLessThan(
        -55,
      );
    }
  });

  it('gives the same output bit for bit whatever the frame sizes', () => {
    const input = tone(48_000, 700, 0.3);
    const even = decimate(3, input, 480);
    for (const size of [1, 7, 100, 1441, input.length]) {
      expect(decimate(3, input, size)).toEqual(even);
    }
  });

  it('mixes channels down to mono by averaging', () => {
    const left = tone(48_000, 700, 0.2, 0.4);
    const stereo = new Int16Array(left.length * 2);
    // Right = left at half level: the mix is 3/4 of left.
    left.forEach((v, i) => {
      stereo[2 * i] = v;
      stereo[2 * i + 1] = v / 2;
    });
    const mono = decimate(3, left, 480);
    const mixed = decimate(3, stereo, 480, 2);
    mono.forEach((v, j) => {
      expect(mixed[j]).toBeCloseTo(0.75 * v, 4);
    });
  });

  it('refuses a factor that is not an integer of at least 2', () => {
    expect(() => new Decimator(1.5)).toThrow(/integer >= 2/);
    expect(() => new Decimator(1)).toThrow(/integer >= 2/);
  });
});
