import { type APIConnectOptions, APIError, APIStatusError } from '../errors.js';
import { log } from '../log.js';
import { sleep } from './sleep.js';

export interface RetryOptions {
  /** Retries after the first attempt; 0 means try once. */
  maxRetry: number;
  /** Delay before the first retry; each later retry doubles it, up to `maxIntervalMs`. */
  retryIntervalMs: number;
  maxIntervalMs?: number;
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log the failure that is being retried. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Source of randomness for jitter, replaceable in tests. */
  random?: () => number;
}

/** Only typed API errors that say so are retried; anything else is a bug or a permanent failure. */
export function isRetryable(error: unknown): boolean {
  return error instanceof APIError && error.retryable;
}

/**
 * Delay before retry number `attempt` (1-based): exponential backoff with
 * "equal jitter", so it lies between half and all of the backoff. A server's
 * `retry-after` wins when it asks for longer.
 */
export function retryDelay(
  attempt: number,
  error: unknown,
  options: Pick<RetryOptions, 'retryIntervalMs' | 'maxIntervalMs' | 'random'>,
): number {
  const cap = options.maxIntervalMs ?? 30_000;
  const backoff = Math.min(cap, options.retryIntervalMs * 2 ** (attempt - 1));
  const jittered = backoff / 2 + (options.random ?? Math.random)() * (backoff / 2);
  const asked = error instanceof APIStatusError ? error.retryAfterMs : undefined;
  return asked !== undefined ? Math.max(jittered, Math.min(asked, cap)) : jittered;
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, or has
 * been retried `maxRetry` times; then the last error is thrown as it was. An
 * abort stops at once, including during a wait.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!isRetryable(error) || attempt >= options.maxRetry) throw error;
      const delayMs = retryDelay(attempt + 1, error, options);
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}

/**
 * Runs `attempt`, retrying retryable failures per `options`, but only while
 * `started()` is false. Once output has reached the consumer (text it may
 * have spoken, audio it may have played), another attempt would repeat or
 * contradict it, so the failure is thrown as it is and the caller decides.
 */
export async function retryBeforeOutput<T>(
  attempt: (attempt: number) => Promise<T>,
  options: RetryOptions & { started: () => boolean },
): Promise<T> {
  const outcome = await withRetry(async (n) => {
    try {
      return { value: await attempt(n) };
    } catch (error) {
      // Returned, not thrown: withRetry would retry it.
      if (options.started()) return { error };
      throw error;
    }
  }, options);
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/**
 * `withRetry` options from a plugin's connection options: backoff per
 * `connect`, each retry logged with the failure and the model's `label`.
 */
export function retryOptionsFor(
  connect: Pick<APIConnectOptions, 'maxRetry' | 'retryIntervalMs'>,
  { label, signal }: { label: string; signal?: AbortSignal },
): RetryOptions {
  return {
    maxRetry: connect.maxRetry,
    retryIntervalMs: connect.retryIntervalMs,
    signal,
    onRetry: ({ attempt, delayMs, error }) =>
      log().warn(
        { err: error, attempt, delayMs, model: label },
        `${label}: request failed; retrying`,
      ),
  };
}
