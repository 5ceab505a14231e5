import { describe, expect, it } from 'vitest';
import { ExpFilter } from '../src/utils/exp-filter.js';
import { MovingAverage } from '../src/utils/moving-average.js';

describe('ExpFilter', () => {
  it('validates alpha in (0, 1]', () => {
    for (const alpha of [0, -0.1, 1.01, Number.NaN]) {
      expect(() => new ExpFilter(alpha), String(alpha)).toThrow(RangeError);
    }
    expect(() => new ExpFilter(1)).not.toThrow();
    expect(() => new ExpFilter(0.5).reset(2)).toThrow(RangeError);
  });

  it('starts at the first sample, then weights the old value by alpha ** exp', () => {
    const filter = new ExpFilter(0.5);
    expect(filter.value).toBeUndefined();
    expect(filter.apply(1, 10)).toBe(10);
    expect(filter.apply(1, 20)).toBe(15); // 0.5 * 10 + 0.5 * 20
    expect(filter.apply(2, 35)).toBe(0.25 * 15 + 0.75 * 35);
    expect(filter.value).toBe(30);
    // exp 0 means no time passed: the sample has no weight.
    expect(filter.apply(0, 1000)).toBe(30);
  });

  it('caps the value at maxValue, including the first sample', () => {
    const filter = new ExpFilter(0.5, 12);
    expect(filter.apply(1, 20)).toBe(12);
    expect(filter.apply(1, 8)).toBe(10);
  });

  it('never moves off the first sample with alpha 1', () => {
    const filter = new ExpFilter(1);
    filter.apply(1, 3);
    expect(filter.apply(5, 100)).toBe(3);
  });

  it('reset() forgets the value and can change alpha', () => {
    const filter = new ExpFilter(0.5);
    filter.apply(1, 10);
    filter.reset(0.9);
    expect(filter.value).toBeUndefined();
    expect(filter.alpha).toBe(0.9);
    expect(filter.apply(1, 4)).toBe(4);
  });
});

describe('MovingAverage', () => {
  it('validates the window size', () => {
    for (const size of [0, -1, 2.5, Number.NaN]) {
      expect(() => new MovingAverage(size), String(size)).toThrow(RangeError);
    }
  });

  it('averages the samples so far until the window fills, then only the last ones', () => {
    const average = new MovingAverage(3);
    expect(average.average).toBe(0);
    expect(average.size).toBe(0);
    average.addSample(3);
    expect(average.average).toBe(3);
    average.addSample(6);
    expect(average.average).toBe(4.5);
    average.addSample(9);
    expect(average.average).toBe(6);
    average.addSample(12); // 3 drops out
    expect(average.average).toBe(9);
    expect(average.size).toBe(3);
  });

  it('reset() empties the window', () => {
    const average = new MovingAverage(2);
    average.addSample(5);
    average.addSample(7);
    average.reset();
    expect(average.size).toBe(0);
    expect(average.average).toBe(0);
    average.addSample(1);
    expect(average.average).toBe(1);
  });

  it('does not drift over a million samples of mixed magnitudes', () => {
    const average = new MovingAverage(4);
    // Huge and tiny values make add-then-subtract lose the tiny ones' bits.
    for (let i = 0; i < 1_000_000; i++) average.addSample(i % 2 === 0 ? 1e12 : 0.1);
    // The sum is recomputed whenever the window wraps, as it does after these four.
    for (let i = 0; i < 4; i++) average.addSample(0.1);
    expect(average.average).toBeCloseTo(0.1, 12);
  });
});
