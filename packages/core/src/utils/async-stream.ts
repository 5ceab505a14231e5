import { log } from '../log.js';
import { withDeadline } from './deadline.js';
import { AsyncQueue, QueueClosedError } from './queue.js';

/**
 * The reason a stream's signal aborts when the consumer closes it, and what a
 * push into a stream that takes no more input throws.
 */
export class StreamClosedError extends Error {
  override name = 'StreamClosedError';
  constructor(message = 'stream closed') {
    super(message);
  }
}

/** What a push into a full input throws under the `'throw'` policy. */
export class StreamFullError extends Error {
  override name = 'StreamFullError';
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
  #runEnded = false;
  readonly #atRunEnd: (() => void)[] = [];

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
        this.#runEnded = true;
        for (const callback of [() => this.onRunEnd(), ...this.#atRunEnd.splice(0)]) {
          try {
            callback();
          } catch (error) {
            log().error({ err: error, stream: this.constructor.name }, 'run-end callback failed');
          }
        }
        this.#output.close();
      });
  }

  /**
   * Called once `run()` has returned or thrown, before the consumer sees the
   * end: the place to report what the stream did (its metrics).
   */
  protected onRunEnd(): void {}

  /**
   * Runs `callback` once `run()` has returned or thrown (at once if it has),
   * before the consumer sees the end: the place to free what the stream holds
   * (a native resampler, listeners), since a stream that ends by itself is
   * never closed. `close()` ends `run()`, so it runs them too.
   */
  protected whenRunEnds(callback: () => void): void {
    if (this.#runEnded) callback();
    else this.#atRunEnd.push(callback);
  }

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
   * warning, since waiting would stall the caller) or `throw` a
   * `StreamFullError`. A waiting write (`writeInput`) is the third way.
   */
  whenInputFull?: 'drop' | 'throw';
  /** Added to the drop warning and the full error: how the caller can avoid them. */
  inputFullAdvice?: string;
}

/**
 * A stream with an input side: the caller pushes items (audio frames, text),
 * marks segment ends with `flush()` and the end of input with `endInput()`;
 * `run()` reads them from `input()`. Pushes are synchronous, so a realtime
 * caller never waits; subclasses may also offer a waiting write for input
 * faster than real time (`writeInput`).
 *
 * A segment end is never refused for lack of room: one slot beyond
 * `inputCapacity` is kept for it, and a second FLUSH in a row into a full
 * buffer is merged with the first (an empty segment is nothing to end).
 */
export abstract class DuplexStream<In, Out> extends AsyncStream<Out> {
  readonly #input: AsyncQueue<In | Flush>;
  readonly #capacity: number;
  readonly #whenFull: 'drop' | 'throw';
  readonly #advice: string;
  /** Why pushes are refused, once they are. */
  #inputEndedBy: string | undefined;
  #lastWasFlush = false;
  #dropped = 0;
  /** Writers waiting for room; each rechecks when woken. */
  readonly #writers = new Set<() => void>();

  constructor(options: DuplexStreamOptions = {}) {
    super(options);
    this.#capacity = options.inputCapacity ?? 1024;
    this.#input = new AsyncQueue({ capacity: this.#capacity + 1 });
    this.#whenFull = options.whenInputFull ?? 'throw';
    this.#advice = options.inputFullAdvice ? `; ${options.inputFullAdvice}` : '';
    this.signal.addEventListener('abort', () => this.#endInput('close()'), { once: true });
    this.whenRunEnds(() => {
      this.#endInput('the stream ended (read it for the reason)');
      // Nobody will read them: let the frames go now.
      while (this.#input.tryGet().ok) {}
    });
  }

  /** Inputs in order, with FLUSH at segment ends; ends after `endInput()` or `close()`. */
  protected async *input(): AsyncGenerator<In | Flush, void, undefined> {
    for await (const item of this.#input) {
      this.#wakeWriters();
      yield item;
    }
  }

  /** False once `endInput()`, `close()` or the end of `run()` has ended the input. */
  protected get acceptsInput(): boolean {
    return this.#inputEndedBy === undefined;
  }

  /** Throws the `StreamClosedError` a push gets once the input has ended. */
  protected assertCanPush(): void {
    if (this.#inputEndedBy !== undefined) {
      throw new StreamClosedError(
        `${this.constructor.name}: cannot push after ${this.#inputEndedBy}`,
      );
    }
  }

  /** Queues `item` without waiting; when the buffer is full, drops or throws per `whenInputFull`. */
  protected pushInput(item: In | Flush): void {
    this.assertCanPush();
    if (this.#hasRoom()) {
      this.#accept(item);
      return;
    }
    if (item === FLUSH) {
      // The reserved slot: always free after an accepted item that was not a FLUSH.
      if (!this.#lastWasFlush) this.#accept(item);
      return;
    }
    if (this.#whenFull === 'throw') {
      throw new StreamFullError(
        `${this.constructor.name}: input buffer full (${this.#capacity} items): ` +
          `the stream is not keeping up, or nobody reads its output${this.#advice}`,
      );
    }
    if (this.#dropped++ % 100 === 0) {
      log().warn(
        { stream: this.constructor.name, dropped: this.#dropped },
        `input buffer full: dropping input${this.#advice}`,
      );
    }
  }

  /**
   * Queues `item`, waiting while the buffer is full (backpressure): for input
   * faster than real time, which must not be dropped. Rejects with a
   * `StreamClosedError` if the input ends first (`endInput()`, `close()`, the
   * end of `run()`), or with `signal`'s reason on abort; the item is then not
   * queued. Await each write before the next, so items keep their order.
   */
  protected async writeInput(item: In | Flush, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      this.assertCanPush();
      if (this.#hasRoom()) {
        this.#accept(item);
        return;
      }
      await this.#waitForRoom(signal);
    }
  }

  /** Ends the current segment: the implementation finishes it with what it has. */
  flush(): void {
    this.pushInput(FLUSH);
  }

  /** No more input will come; results for what was pushed still arrive, then the stream ends. */
  endInput(): void {
    this.#endInput('endInput()');
  }

  override async close(): Promise<void> {
    this.#endInput('close()');
    await super.close();
  }

  #hasRoom(): boolean {
    return this.#input.size < this.#capacity;
  }

  #accept(item: In | Flush): void {
    // Cannot fail: callers checked the room, and FLUSH has its reserved slot.
    this.#input.tryPut(item);
    this.#lastWasFlush = item === FLUSH;
  }

  #endInput(by: string): void {
    if (this.#inputEndedBy !== undefined) return;
    this.#inputEndedBy = by;
    this.#input.close();
    this.#wakeWriters();
  }

  #wakeWriters(): void {
    // Called per item read: no copy when nobody waits.
    if (this.#writers.size === 0) return;
    for (const wake of [...this.#writers]) wake();
  }

  #waitForRoom(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#writers.delete(wake);
        reject(signal?.reason);
      };
      const wake = () => {
        this.#writers.delete(wake);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#writers.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
