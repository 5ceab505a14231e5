import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Interval, IntervalClosedError, interval } from '../src/utils/interval.js';

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('Interval', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('rejects a period that is not a positive number', () => {
    for (const ms of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Interval(ms), String(ms)).toThrow(TypeError);
    }
  });

  it('ticks at once, then every period, counting ticks', async () => {
    const ticker = interval(100);
    expect(await ticker.tick()).toBe(1);

    const second = track(ticker.tick());
    await vi.advanceTimersByTimeAsync(99);
    expect(second.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(second).toEqual({ settled: true, value: 2 });

    const third = track(ticker.tick());
    await vi.advanceTimersByTimeAsync(100);
    expect(third).toEqual({ settled: true, value: 3 });
    expect(ticker.ticks).toBe(3);
    ticker.close();
  });

  it('keeps its cadence when the caller spends part of each period working', async () => {
    const ticker = new Interval(100);
    const firedAt: number[] = [];
    for (let i = 0; i < 4; i++) {
      const next = ticker.tick();
      await vi.advanceTimersToNextTimerAsync();
      await next;
      firedAt.push(performance.now());
      await vi.advanceTimersByTimeAsync(30); // work done between ticks
    }
    const start = firedAt[0]!;
    expect(firedAt.map((t) => t - start)).toEqual([0, 100, 200, 300]);
    ticker.close();
  });

  it('treats a tick a few ms late as on time, so jitter does not shift the schedule', async () => {
    const ticker = new Interval(100);
    await ticker.tick();
    const start = performance.now();
    await vi.advanceTimersByTimeAsync(103); // as if the event loop was busy for 3 ms
    expect(await ticker.tick()).toBe(2);
    const next = track(ticker.tick());
    await vi.advanceTimersByTimeAsync(96);
    expect(next.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(next).toEqual({ settled: true, value: 3 });
    expect(performance.now() - start).toBe(200);
    ticker.close();
  });

  it('does not burst after missed ticks: the late tick fires once, then a full period', async () => {
    const ticker = new Interval(100);
    await ticker.tick();
    const start = performance.now();
    await vi.advanceTimersByTimeAsync(350); // three ticks' worth missed

    expect(await ticker.tick()).toBe(2); // late, so immediate
    const afterLate = track(ticker.tick());
    await vi.advanceTimersByTimeAsync(99);
    expect(afterLate.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(afterLate).toEqual({ settled: true, value: 3 });
    expect(performance.now() - start).toBe(450);
    ticker.close();
  });

  it('reset() restarts the period, also for a tick already waiting', async () => {
    const ticker = new Interval(100);
    await ticker.tick();
    await vi.advanceTimersByTimeAsync(60);
    const next = track(ticker.tick());
    ticker.reset();
    await vi.advanceTimersByTimeAsync(99);
    expect(next.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(next).toEqual({ settled: true, value: 2 });
    ticker.close();
  });

  it('refuses a second concurrent tick()', async () => {
    const ticker = new Interval(100);
    await ticker.tick();
    const first = ticker.tick();
    await expect(ticker.tick()).rejects.toThrow(/another tick is waiting/);
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toBe(2);
    ticker.close();
  });

  it('close() rejects a waiting tick and leaves no timer running', async () => {
    const ticker = new Interval(100);
    await ticker.tick();
    const waiting = ticker.tick();
    expect(vi.getTimerCount()).toBe(1);
    ticker.close();
    await expect(waiting).rejects.toBeInstanceOf(IntervalClosedError);
    await expect(ticker.tick()).rejects.toBeInstanceOf(IntervalClosedError);
    expect(ticker.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('abort rejects a waiting tick with the reason and leaves no timer running', async () => {
    const controller = new AbortController();
    const ticker = new Interval(100, { signal: controller.signal });
    await ticker.tick();
    const waiting = ticker.tick();
    const reason = new Error('job ended');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(ticker.tick()).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts closed with an already aborted signal', async () => {
    const ticker = new Interval(100, { signal: AbortSignal.abort('early') });
    expect(ticker.closed).toBe(true);
    await expect(ticker.tick()).rejects.toBe('early');
  });

  it('iterates tick counts and ends when closed', async () => {
    const ticker = new Interval(100);
    const counts: number[] = [];
    const loop = (async () => {
      for await (const count of ticker) {
        counts.push(count);
        if (count === 3) setTimeout(() => ticker.close(), 50);
      }
    })();
    await vi.advanceTimersByTimeAsync(1000);
    await loop;
    expect(counts).toEqual([1, 2, 3]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('iteration ends when the signal aborts', async () => {
    const controller = new AbortController();
    const counts: number[] = [];
    const loop = (async () => {
      for await (const count of interval(100, { signal: controller.signal })) counts.push(count);
    })();
    await vi.advanceTimersByTimeAsync(250);
    controller.abort();
    await loop;
    expect(counts).toEqual([1, 2, 3]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timer behind when a loop breaks', async () => {
    const ticker = new Interval(100);
    const loop = (async () => {
      for await (const count of ticker) if (count === 2) break;
    })();
    await vi.advanceTimersByTimeAsync(100);
    await loop;
    expect(vi.getTimerCount()).toBe(0);
    expect(ticker.closed).toBe(false);
  });
});
