import { describe, expect, it } from 'vitest';
import { LagMonitor, Throttle } from '../src/lag.js';

describe('LagMonitor', () => {
  it('measures how long ago the audio at a time was pushed', () => {
    const lag = new LagMonitor();
    // 10 ms frames pushed every 10 ms of wall time, from t = 1000 ms.
    for (let i = 1; i <= 100; i++) lag.pushed(i * 0.01, 1000 + i * 10);
    // Audio at 0.5 s arrived with the push at 1500 ms.
    expect(lag.lagAt(0.5, 1600)).toBeCloseTo(0.1);
    expect(lag.lagAt(0.505, 1600)).toBeCloseTo(0.09);
    // Audio not pushed yet (or after a drop) reports nothing rather than a guess.
    expect(lag.lagAt(5, 1600)).toBe(0);
  });

  it('keeps a bounded number of marks however long the stream', () => {
    const lag = new LagMonitor();
    for (let i = 1; i <= 100_000; i++) {
      lag.pushed(i * 0.01, i * 10);
      if (i % 3 === 0) expect(lag.lagAt((i - 2) * 0.01, i * 10)).toBeCloseTo(0.02);
    }
    // Never read: the oldest marks go once there are too many.
    const unread = new LagMonitor();
    for (let i = 1; i <= 100_000; i++) unread.pushed(i * 0.01, i * 10);
    expect(unread.lagAt(0, 1_000_000)).toBeLessThan(1_000);
  });
});

describe('Throttle', () => {
  it('lets one through per interval', () => {
    const throttle = new Throttle(10_000);
    expect([0, 5_000, 9_999, 10_000, 15_000, 20_001].map((t) => throttle.allow(t))).toEqual([
      true,
      false,
      false,
      true,
      false,
      true,
    ]);
  });
});
