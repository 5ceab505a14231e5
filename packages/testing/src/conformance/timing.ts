import { AssertionError } from 'node:assert';
import { scaledMs } from '../time.js';

/** What "promptly" means for close(), `break` and a refused key, before TEST_TIME_SCALE. */
export const PROMPT_MS = 5000;

/**
 * Resolves with `work`'s result if it settles within `deadlineMs` (scaled by
 * TEST_TIME_SCALE); otherwise throws an AssertionError naming `what`. The
 * deadline is generous on purpose: it catches a hang, never measures speed.
 */
export async function returnsPromptly<T>(
  what: string,
  work: Promise<T> | (() => Promise<T>),
  deadlineMs = PROMPT_MS,
): Promise<T> {
  const ms = scaledMs(deadlineMs);
  const promise = typeof work === 'function' ? work() : work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AssertionError({
            message: `${what} did not return within ${ms} ms (TEST_TIME_SCALE raises the deadline)`,
          }),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `condition()` holds, checked every few ms; an AssertionError naming `what` past the deadline. */
export async function eventually(
  what: string,
  condition: () => boolean,
  deadlineMs = PROMPT_MS,
): Promise<void> {
  const until = performance.now() + scaledMs(deadlineMs);
  while (!condition()) {
    if (performance.now() > until) {
      throw new AssertionError({
        message: `${what}: still not so after ${scaledMs(deadlineMs)} ms`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
