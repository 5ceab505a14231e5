import { log } from '../log.js';
import { withDeadline } from './deadline.js';
import { AsyncQueue, QueueClosedError } from './queue.js';

/** The reason a stream's signal aborts when the consumer closes it. */
export class StreamClosedError extends Error {
  override name = 'StreamClosedError';
  constructor() {
    super('stream closed');
  }
}

export interface AsyncStreamOptions {
  /** Results buffered for the consumer; when full, `run()` waits (backpressure). Default 64. */
  outputCapacity?: number;
  /** How long `close()` waits for `run()` to stop after the abort. Default 5000 ms. */
  closeTimeoutMs?: number;
}

/**
 * Base of every long-lived result stream: speech events, synthesized audio, chat
 * chunks. A subclass implements `run()`, which produces results with `emit()`;
 * the consumer reads them with `for await`. The stream owns an AbortController:
 * `close()`, `break` out of the loop and `await using` all abort `run()` and wait
 * (with a deadline) for it to finish, so no upstream work outlives the stream.
 * An error thrown by `run()` reaches the consumer after the results before it.
 */
export abstract class AsyncStream<T> implements AsyncIterableIterator<T>, AsyncDisposable {
  readonly #output: AsyncQueue<T>;
  readonly #abort = new AbortController();
  readonly #closeTimeoutMs: number;
  readonly #task: Promise<void>;
  #failure: { error: unknown } | undefined;

  constructor(options: AsyncStreamOptions = {}) {
    this.#output = new AsyncQueue<T>({ capacity: options.outputCapacity ?? 64 });
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 5000;
    // Started on the next microtask: a subclass's fields are set only after
    // this constructor returns, and run() needs them.
    this.#task = Promise.resolve()
      .then(() => this.run())
      .catch((error: unknown) => {
        if (!this.#abort.signal.aborted) this.#failure = { error };
      })
      .finally(() => {
        try {
          this.onRunEnd();
        } catch (error) {
          log().error({ err: error, stream: this.constructor.name }, 'onRunEnd failed');
        }
        this.#output.close();
      });
  }

  /**
   * Called once `run()` has returned or thrown, before the consumer sees the
   * end: the place to report what the stream did (its metrics).
   */
  protected onRunEnd(): void {}

  /** Produces the stream's results; must return promptly once `signal` aborts. */
  protected abstract run(): Promise<void>;

  /** Aborts when the stream is closed; pass it to every request and wait. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  /**
   * Hands a result to the consumer, waiting while the buffer is full. Returns
   * false once the stream is closed, so a producer loop knows to stop.
   */
  protected async emit(item: T): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.#output.put(item, this.#abort.signal);
      return true;
    } catch {
      return false;
    }
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    try {
      return { value: await this.#output.get(), done: false };
    } catch (error) {
      if (!(error instanceof QueueClosedError)) throw error;
      const failure = this.#failure;
      this.#failure = undefined;
      if (failure) throw failure.error;
      return { value: undefined, done: true };
    }
  }

  /** Called by `break` and `return` inside `for await`: closes the stream. */
  async return(): Promise<IteratorResult<T, undefined>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Stops the stream: aborts `run()`, drops unread results and waits for `run()`
   * to return, at most `closeTimeoutMs` (a warning is logged past it). Idempotent.
   */
  async close(): Promise<void> {
    if (!this.#abort.signal.aborted) this.#abort.abort(new StreamClosedError());
    this.#output.close();
    while (this.#output.tryGet().ok) {}
    try {
      await withDeadline(this.#task, this.#closeTimeoutMs, 'stream did not stop');
    } catch {
      log().warn(
        { stream: this.constructor.name, timeoutMs: this.#closeTimeoutMs },
        'stream did not stop within its close deadline; abandoning it',
      );
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Marks the end of a segment in a stream's input. */
export const FLUSH = Symbol('flush');
export type Flush = typeof FLUSH;

export interface DuplexStreamOptions extends AsyncStreamOptions {
  /** Inputs buffered for `run()`. Default 1024. */
  inputCapacity?: number;
  /**
   * What a push does when the input buffer is full, because `run()` is not
   * keeping up: `drop` (realtime audio: the newest input is dropped with a
   * warning, since waiting would stall the caller) or `throw`.
   */
  whenInputFull?: 'drop' | 'throw';
}

/**
 * A stream with an input side: the caller pushes items (audio frames, text),
 * marks segment ends with `flush()` and the end of input with `endInput()`;
 * `run()` reads them from `input()`. Pushes are synchronous, so a realtime
 * caller never waits.
 */
export abstract class DuplexStream<In, Out> extends AsyncStream<Out> {
  readonly #input: AsyncQueue<In | Flush>;
  readonly #whenFull: 'drop' | 'throw';
  #inputEnded = false;
  #dropped = 0;

  constructor(options: DuplexStreamOptions = {}) {
    super(options);
    this.#input = new AsyncQueue({ capacity: options.inputCapacity ?? 1024 });
    this.#whenFull = options.whenInputFull ?? 'throw';
    this.signal.addEventListener('abort', () => this.#input.close(), { once: true });
  }

  /** Inputs in order, with FLUSH at segment ends; ends after `endInput()` or `close()`. */
  protected input(): AsyncIterable<In | Flush> {
    return this.#input;
  }

  /** Throws the error a push gets after `endInput()` or `close()`. */
  protected assertCanPush(): void {
    if (this.#inputEnded || this.closed) {
      throw new Error(
        `${this.constructor.name}: cannot push after ${this.closed ? 'close()' : 'endInput()'}`,
      );
    }
  }

  protected pushInput(item: In | Flush): void {
    this.assertCanPush();
    if (this.#input.tryPut(item)) return;
    if (this.#whenFull === 'throw' || item === FLUSH) {
      throw new Error(
        `${this.constructor.name}: input buffer full (${this.#input.capacity} items): ` +
          'the stream is not keeping up, or nobody reads its output',
      );
    }
    if (this.#dropped++ % 100 === 0) {
      log().warn(
        { stream: this.constructor.name, dropped: this.#dropped },
        'input buffer full: dropping input',
      );
    }
  }

  /** Ends the current segment: the implementation finishes it with what it has. */
  flush(): void {
    this.pushInput(FLUSH);
  }

  /** No more input will come; results for what was pushed still arrive, then the stream ends. */
  endInput(): void {
    if (this.#inputEnded) return;
    this.#inputEnded = true;
    this.#input.close();
  }

  override async close(): Promise<void> {
    this.#inputEnded = true;
    this.#input.close();
    await super.close();
  }
}
