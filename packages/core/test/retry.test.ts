import { describe, expect, it, vi } from 'vitest';
import {
  APIConnectionError,
  APIError,
  APIStatusError,
  APITimeoutError,
  parseRetryAfter,
  resolveConnectOptions,
} from '../src/errors.js';
import { isRetryable, retryDelay, withRetry } from '../src/utils/retry.js';

describe('typed API errors', () => {
  it('marks statuses worth retrying', () => {
    const retryable = [408, 409, 429, 500, 502, 503];
    const permanent = [400, 401, 403, 404, 422];
    for (const status of retryable) {
      expect(new APIStatusError('x', { status }).retryable, String(status)).toBe(true);
    }
    for (const status of permanent) {
      expect(new APIStatusError('x', { status }).retryable, String(status)).toBe(false);
    }
  });

  it('keeps status, body and request id, and lets the caller override retryable', () => {
    const error = new APIStatusError('bad key', {
      status: 500,
      body: { error: 'nope' },
      requestId: 'req_1',
      retryable: false,
    });
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 500, body: { error: 'nope' }, requestId: 'req_1' });
    expect(error.retryable).toBe(false);
    expect(error.name).toBe('APIStatusError');
  });

  it('treats connection failures and timeouts as retryable', () => {
    const timeout = new APITimeoutError();
    expect(timeout).toBeInstanceOf(APIConnectionError);
    expect(timeout.retryable).toBe(true);
    expect(
      new APIConnectionError('reset', { cause: new Error('ECONNRESET') }).cause,
    ).toBeInstanceOf(Error);
  });

  it('parses retry-after in seconds and as a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('connection options', () => {
  it('fills defaults', () => {
    expect(resolveConnectOptions({ maxRetry: 1 })).toEqual({
      maxRetry: 1,
      retryIntervalMs: 2000,
      timeoutMs: 10_000,
    });
  });

  it('names the field that is wrong', () => {
    expect(() => resolveConnectOptions({ maxRetry: -1 })).toThrow(/maxRetry/);
    expect(() => resolveConnectOptions({ maxRetry: 1.5 })).toThrow(/maxRetry must be a whole/);
    expect(() => resolveConnectOptions({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => resolveConnectOptions({ retryIntervalMs: Number.NaN })).toThrow(/retryIntervalMs/);
  });
});

describe('withRetry', () => {
  const fast = { retryIntervalMs: 1, random: () => 0 };

  it('retries retryable errors until success', async () => {
    const attempts: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 2) throw new APIConnectionError('flaky');
        return 'ok';
      },
      { ...fast, maxRetry: 3 },
    );
    expect(result).toBe('ok');
    expect(attempts).toEqual([0, 1, 2]);
  });

  it('stops at once on a non-retryable error', async () => {
    const operation = vi.fn(async () => {
      throw new APIStatusError('unauthorized', { status: 401 });
    });
    await expect(withRetry(operation, { ...fast, maxRetry: 5 })).rejects.toMatchObject({
      status: 401,
    });
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('does not retry errors that are not API errors', async () => {
    const operation = vi.fn(async () => {
      throw new TypeError('bug');
    });
    await expect(withRetry(operation, { ...fast, maxRetry: 5 })).rejects.toThrow('bug');
    expect(operation).toHaveBeenCalledTimes(1);
    expect(isRetryable(new TypeError('bug'))).toBe(false);
  });

  it('throws the last error after maxRetry retries and reports each retry', async () => {
    const retries: number[] = [];
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new APIConnectionError(`failure ${calls}`);
        },
        { ...fast, maxRetry: 2, onRetry: ({ attempt }) => retries.push(attempt) },
      ),
    ).rejects.toThrow('failure 3');
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('aborts during the wait between attempts', async () => {
    const controller = new AbortController();
    const reason = new Error('stopped by caller');
    const promise = withRetry(
      async () => {
        throw new APIConnectionError('down');
      },
      {
        maxRetry: 10,
        retryIntervalMs: 60_000,
        signal: controller.signal,
        onRetry: () => queueMicrotask(() => controller.abort(reason)),
      },
    );
    await expect(promise).rejects.toBe(reason);
  });

  it('backs off exponentially with jitter, capped, and honours retry-after', () => {
    const opts = { retryIntervalMs: 100, maxIntervalMs: 1000 };
    expect(retryDelay(1, null, { ...opts, random: () => 0 })).toBe(50);
    expect(retryDelay(1, null, { ...opts, random: () => 1 })).toBe(100);
    expect(retryDelay(3, null, { ...opts, random: () => 1 })).toBe(400);
    expect(retryDelay(10, null, { ...opts, random: () => 1 })).toBe(1000);
    const limited = new APIStatusError('slow down', { status: 429, retryAfterMs: 700 });
    expect(retryDelay(1, limited, { ...opts, random: () => 0 })).toBe(700);
  });
});
