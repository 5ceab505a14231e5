import { describe, expect, it } from 'vitest';
import { Future } from '../src/utils/future.js';

describe('Future', () => {
  it('resolves once; later calls are ignored and return false', async () => {
    const future = new Future<number>();
    expect(future.done).toBe(false);
    expect(future.resolve(1)).toBe(true);
    expect(future.done).toBe(true);
    expect(future.resolve(2)).toBe(false);
    expect(future.reject(new Error('late'))).toBe(false);
    await expect(future.promise).resolves.toBe(1);
  });

  it('rejects once; later calls are ignored and return false', async () => {
    const future = new Future<number>();
    const error = new Error('boom');
    expect(future.reject(error)).toBe(true);
    expect(future.resolve(1)).toBe(false);
    await expect(future.promise).rejects.toBe(error);
  });

  it('allows resolve() without a value for Future<void>', async () => {
    const future = new Future();
    future.resolve();
    await expect(future.promise).resolves.toBeUndefined();
  });

  it('does not raise an unhandled rejection when rejected with nobody waiting', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      new Future().reject(new Error('nobody listens'));
      // Node reports unhandled rejections after the microtask queue drains.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
