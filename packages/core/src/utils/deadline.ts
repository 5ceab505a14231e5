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
 * One 'abort' listener per signal, fanning out to the callbacks of the waits
 * under way. `abortable` runs once per audio frame on the voice path; adding
 * and removing an EventTarget listener each time cost more than the frame's
 * own work, where a Set's add and delete cost next to nothing.
 */
const abortCallbacks = new WeakMap<AbortSignal, Set<() => void>>();

function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = abortCallbacks.get(signal);
  if (callbacks === undefined) {
    const created = new Set<() => void>();
    callbacks = created;
    abortCallbacks.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        abortCallbacks.delete(signal);
        for (const run of created) run();
        created.clear();
      },
      { once: true },
    );
  }
  const registered = callbacks;
  registered.add(callback);
  return () => registered.delete(callback);
}

/**
 * Waits for `promise` until `signal` aborts, then rejects with its reason
 * (at once if it already has). No timer: for a wait bounded by its owner's
 * lifetime; `withDeadline` adds one. Nothing stays registered once it settles.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    // As Promise.race would: a later failure of the abandoned work is not an unhandled rejection.
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const forget = onAbort(signal, () => reject(signal.reason));
    // After an abort, the work's own outcome lands on a settled promise: ignored, never unhandled.
    promise.then(
      (value) => {
        forget();
        resolve(value);
      },
      (error: unknown) => {
        forget();
        reject(error);
      },
    );
  });
}
