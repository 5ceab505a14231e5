import { APITimeoutError } from '../errors.js';

export interface IdleDeadlineOptions {
  /** The owner's signal (the stream's): its abort aborts the attempt too. */
  signal?: AbortSignal;
  /** Longest silence of the service during one `within()` wait. */
  timeoutMs: number;
  /** Who is silent, for the timeout error: `OpenAI`, `Deepgram`... */
  label: string;
}

/**
 * The abort signal of one request attempt: it aborts when the owner's signal
 * does (the stream was closed), or when the service stays silent longer than
 * `timeoutMs` during a `within()` wait. Waits for the consumer are not
 * timed, so a slow reader never looks like a slow service.
 */
export class IdleDeadline implements Disposable {
  readonly timeoutMs: number;
  readonly label: string;
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #onParentAbort = () => this.#controller.abort(this.#parent?.reason);
  #timedOut = false;

  constructor({ signal, timeoutMs, label }: IdleDeadlineOptions) {
    if (!(timeoutMs > 0)) {
      throw new TypeError(`IdleDeadline timeoutMs must be a number > 0 (got ${String(timeoutMs)})`);
    }
    this.#parent = signal;
    this.timeoutMs = timeoutMs;
    this.label = label;
    if (signal?.aborted) this.#onParentAbort();
    else signal?.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  /** Pass it to the request: it ends the exchange, socket included. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The attempt was aborted because the service was too slow. */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** The error to report once `timedOut` (retryable, as every timeout). */
  timeoutError(cause?: unknown): APITimeoutError {
    return new APITimeoutError(`${this.label} sent nothing for ${this.timeoutMs} ms`, { cause });
  }

  /** Waits for `work` (a response, the next chunk), aborting the attempt if it takes too long. */
  async within<T>(work: PromiseLike<T>): Promise<T> {
    const timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort(this.timeoutError());
    }, this.timeoutMs);
    try {
      return await work;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops following the owner's signal; call it when the attempt is over. */
  dispose(): void {
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

export interface AttemptOptions extends IdleDeadlineOptions {
  /**
   * Turns what the attempt threw into the error to report (a provider's
   * errors into typed API errors). Default: a timeout of ours becomes
   * `deadline.timeoutError()`, anything else is thrown as it is.
   */
  toError?: (error: unknown, deadline: IdleDeadline) => unknown;
}

/**
 * One request attempt under an `IdleDeadline`: runs `attempt` with the
 * deadline, maps its failure with `toError`, and always disposes of the
 * deadline. Once the owner's signal has aborted, its reason is thrown
 * instead: a closed stream is not a provider failure, and is not retried.
 */
export async function runAttempt<T>(
  options: AttemptOptions,
  attempt: (deadline: IdleDeadline) => Promise<T>,
): Promise<T> {
  const deadline = new IdleDeadline(options);
  try {
    const result = await attempt(deadline);
    // Some clients end a response quietly when its request is aborted: that may be our timeout.
    if (deadline.timedOut && !options.signal?.aborted) throw deadline.timeoutError();
    return result;
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw (options.toError ?? defaultToError)(error, deadline);
  } finally {
    deadline.dispose();
  }
}

function defaultToError(error: unknown, deadline: IdleDeadline): unknown {
  if (error instanceof APITimeoutError || !deadline.timedOut) return error;
  return deadline.timeoutError(error);
}
