/** Raised when a wait in the job machinery runs past its deadline. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/**
 * Waits for `promise`, but no longer than `ms`: past that it rejects with a
 * `DeadlineError` carrying `message`. The timer is cleared either way, so a
 * settled wait leaves nothing behind to keep the process alive. The promise
 * itself is not cancelled (promises cannot be); the caller decides what to do
 * with the work still under way, usually kill the process that does it.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(message)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** The message of an error, or the value as text: what crosses IPC and lands in job reports. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
