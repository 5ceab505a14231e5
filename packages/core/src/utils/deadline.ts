/** Raised when a wait runs past its deadline. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/**
 * Waits for `promise`, but no longer than `ms`: past that it rejects with a
 * `DeadlineError` carrying `message`, and on `signal`'s abort with its reason.
 * The timer and the listener are removed either way, so a settled wait leaves
 * nothing behind to keep the process alive. The promise itself is not
 * cancelled (promises cannot be); the caller decides what to do with the work
 * still under way.
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  message: string,
  signal?: AbortSignal,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(message)), ms);
    if (!signal) return;
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, expired]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

/** The message of an error, or the value as text: for logs, reports and one-line CLI errors. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Waits for `promise` until `signal` aborts, then rejects with its reason
 * (at once if it already has). No timer: for a wait bounded by its owner's
 * lifetime; `withDeadline` adds one. The listener is removed either way.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    // As Promise.race would: a later failure of the abandoned work is not an unhandled rejection.
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() =>
    signal.removeEventListener('abort', onAbort),
  );
}
