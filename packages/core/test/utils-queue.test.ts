import { describe, expect, it } from 'vitest';
import { AsyncQueue, QueueClosedError } from '../src/utils/queue.js';

/** Lets every already-settled promise callback run, so "still pending" is observable. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('AsyncQueue', () => {
  it('requires a positive integer capacity', () => {
    for (const capacity of [0, -1, 1.5, Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(() => new AsyncQueue({ capacity }), String(capacity)).toThrow(TypeError);
    }
    expect(new AsyncQueue({ capacity: 3 }).capacity).toBe(3);
  });

  it('delivers items in order and reports its size', async () => {
    const queue = new AsyncQueue<number>({ capacity: 3 });
    await queue.put(1);
    await queue.put(2);
    expect(queue.size).toBe(2);
    expect(await queue.get()).toBe(1);
    expect(await queue.get()).toBe(2);
    expect(queue.size).toBe(0);
  });

  it('wraps around its ring buffer many times without reordering', async () => {
    const queue = new AsyncQueue<number>({ capacity: 3 });
    const out: number[] = [];
    for (let i = 0; i < 20; i++) {
      expect(queue.tryPut(i)).toBe(true);
      if (i % 2 === 1) {
        const a = queue.tryGet();
        const b = queue.tryGet();
        if (a.ok) out.push(a.value);
        if (b.ok) out.push(b.value);
      }
    }
    expect(out).toEqual([...Array(20).keys()]);
  });

  it('makes put wait while full and proceed after a get (backpressure)', async () => {
    const queue = new AsyncQueue<string>({ capacity: 1 });
    await queue.put('a');
    const blocked = track(queue.put('b'));
    await settle();
    expect(blocked.settled).toBe(false);
    expect(queue.size).toBe(1);

    expect(await queue.get()).toBe('a');
    await settle();
    expect(blocked).toEqual({ settled: true, value: undefined });
    // The waiting putter's item moved into the freed slot.
    expect(queue.size).toBe(1);
    expect(await queue.get()).toBe('b');
  });

  it('tryPut returns false when full and does not queue the item', () => {
    const queue = new AsyncQueue<number>({ capacity: 2 });
    expect(queue.tryPut(1)).toBe(true);
    expect(queue.tryPut(2)).toBe(true);
    expect(queue.tryPut(3)).toBe(false);
    expect(queue.size).toBe(2);
    expect(queue.tryGet()).toEqual({ ok: true, value: 1 });
    expect(queue.tryGet()).toEqual({ ok: true, value: 2 });
    expect(queue.tryGet()).toEqual({ ok: false });
  });

  it('tryPut hands an item straight to a waiting getter', async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    const got = queue.get();
    expect(queue.tryPut(7)).toBe(true);
    expect(queue.size).toBe(0);
    expect(await got).toBe(7);
  });

  it('tryPut does not jump ahead of waiting putters', async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    queue.tryPut(1);
    const waiting = queue.put(2);
    expect(queue.tryGet()).toEqual({ ok: true, value: 1 });
    await waiting;
    expect(queue.tryPut(3)).toBe(false);
    expect(queue.tryGet()).toEqual({ ok: true, value: 2 });
  });

  it('serves many waiting getters and putters first come, first served', async () => {
    const queue = new AsyncQueue<number>({ capacity: 2 });
    const getters = Array.from({ length: 5 }, () => queue.get());
    for (let i = 0; i < 5; i++) await queue.put(i);
    expect(await Promise.all(getters)).toEqual([0, 1, 2, 3, 4]);

    const putters = Array.from({ length: 6 }, (_, i) => queue.put(100 + i));
    const received: number[] = [];
    for (let i = 0; i < 6; i++) received.push(await queue.get());
    await Promise.all(putters);
    expect(received).toEqual([100, 101, 102, 103, 104, 105]);
  });

  it('on close, lets readers drain buffered items and then rejects them', async () => {
    const queue = new AsyncQueue<number>({ capacity: 3 });
    await queue.put(1);
    await queue.put(2);
    queue.close();
    expect(queue.closed).toBe(true);
    await expect(queue.put(3)).rejects.toBeInstanceOf(QueueClosedError);
    expect(() => queue.tryPut(3)).toThrow(QueueClosedError);
    expect(await queue.get()).toBe(1);
    expect(queue.tryGet()).toEqual({ ok: true, value: 2 });
    await expect(queue.get()).rejects.toBeInstanceOf(QueueClosedError);
    expect(queue.tryGet()).toEqual({ ok: false });
  });

  it('on close, rejects waiting putters (dropping their items) and waiting getters', async () => {
    const full = new AsyncQueue<number>({ capacity: 1 });
    await full.put(1);
    const putter = full.put(2);
    full.close();
    await expect(putter).rejects.toBeInstanceOf(QueueClosedError);
    expect(await full.get()).toBe(1);
    await expect(full.get()).rejects.toBeInstanceOf(QueueClosedError);

    const empty = new AsyncQueue<number>({ capacity: 1 });
    const getter = empty.get();
    empty.close();
    await expect(getter).rejects.toBeInstanceOf(QueueClosedError);
  });

  it('aborting a waiting get removes it, so the next item goes to the next getter', async () => {
    const queue = new AsyncQueue<string>({ capacity: 1 });
    const controller = new AbortController();
    const aborted = queue.get(controller.signal);
    const next = queue.get();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    await queue.put('x');
    expect(await next).toBe('x');
  });

  it('aborting a waiting put withdraws its item', async () => {
    const queue = new AsyncQueue<string>({ capacity: 1 });
    await queue.put('kept');
    const controller = new AbortController();
    const aborted = queue.put('withdrawn', controller.signal);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(await queue.get()).toBe('kept');
    expect(queue.tryGet()).toEqual({ ok: false });
  });

  it('rejects at once with an already aborted signal', async () => {
    const queue = new AsyncQueue<number>({ capacity: 1 });
    const signal = AbortSignal.abort('gone');
    await expect(queue.put(1, signal)).rejects.toBe('gone');
    await expect(queue.get(signal)).rejects.toBe('gone');
    expect(queue.size).toBe(0);
  });

  it('iterates with a concurrent producer until closed and drained', async () => {
    const queue = new AsyncQueue<number>({ capacity: 2 });
    const producer = (async () => {
      for (let i = 0; i < 50; i++) await queue.put(i);
      queue.close();
    })();
    const received: number[] = [];
    for await (const item of queue) received.push(item);
    await producer;
    expect(received).toEqual([...Array(50).keys()]);
  });

  it('keeps the queue open and loses nothing when a loop breaks', async () => {
    const queue = new AsyncQueue<number>({ capacity: 5 });
    for (let i = 0; i < 5; i++) queue.tryPut(i);
    const first: number[] = [];
    for await (const item of queue) {
      first.push(item);
      if (item === 1) break;
    }
    expect(first).toEqual([0, 1]);
    expect(queue.closed).toBe(false);
    queue.close();
    const rest: number[] = [];
    for await (const item of queue) rest.push(item);
    expect(rest).toEqual([2, 3, 4]);
  });
});
