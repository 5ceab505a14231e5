import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/utils/backoff.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const base = { maxRetry: 3, retryIntervalMs: 100, maxIntervalMs: 1000, stableAfterMs: 5000 };

describe('Backoff', () => {
  it('doubles the delay with jitter, caps it, and gives up after maxRetry failures in a row', () => {
    const backoff = new Backoff({ ...base, random: () => 1 });
    expect([backoff.failed(), backoff.failed(), backoff.failed()]).toEqual([100, 200, 400]);
    expect(backoff.failed()).toBeUndefined();
    const capped = new Backoff({ ...base, maxRetry: 10, random: () => 0 });
    const delays = Array.from({ length: 6 }, () => capped.failed());
    expect(delays).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('counts a connection that drops before stableAfterMs as a failure (no endless flapping)', () => {
    const time = clock();
    const backoff = new Backoff({ ...base, now: time.now, random: () => 1 });
    const answers: Array<number | undefined> = [];
    for (let i = 0; i < 4; i++) {
      backoff.connected();
      time.advance(50); // registered, then dropped at once
      answers.push(backoff.failed());
    }
    expect(answers).toEqual([100, 200, 400, undefined]);
  });

  it('starts the count again after a connection that stayed up for stableAfterMs', () => {
    const time = clock();
    const backoff = new Backoff({ ...base, now: time.now, random: () => 1 });
    backoff.failed();
    backoff.failed();
    backoff.connected();
    time.advance(5000);
    expect(backoff.failed()).toBe(100);
    expect(backoff.failures).toBe(1);
  });

  it('refuses options that cannot work', () => {
    expect(() => new Backoff({ ...base, maxRetry: Number.NaN })).toThrow(/maxRetry/);
    expect(() => new Backoff({ ...base, stableAfterMs: -1 })).toThrow(/stableAfterMs/);
  });
});
