/** Raised by a put into a closed queue, and by a get once a closed queue is drained. */
export class QueueClosedError extends Error {
  override name = 'QueueClosedError';

  constructor() {
    super('queue is closed');
  }
}

export interface AsyncQueueOptions {
  /** Most items held at once; a positive integer. Every queue in this project is bounded. */
  capacity: number;
}

export type TryGetResult<T> = { ok: true; value: T } | { ok: false };

/** How a parked `put` or `get` is woken; removed from its set before either is called. */
interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

interface Putter<T> extends Waiter<void> {
  item: T;
}

/**
 * A bounded first-in first-out channel between async producers and consumers.
 *
 * When full, `put` waits for room (backpressure) and `tryPut` returns false, leaving
 * the caller to choose what to drop. Waiting putters and getters are served in the
 * order they arrived. `close()` refuses new items but lets readers drain what is
 * buffered; `for await` over the queue ends once it is closed and empty.
 */
export class AsyncQueue<T> {
  readonly capacity: number;
  // A fixed ring buffer: every operation is O(1) however full the queue gets.
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  #closed = false;
  // Sets keep insertion order and delete in O(1), which an aborted waiter needs.
  // Putters only wait while the buffer is full, getters only while it is empty.
  readonly #putters = new Set<Putter<T>>();
  readonly #getters = new Set<Waiter<T>>();

  constructor(options: AsyncQueueOptions) {
    const { capacity } = options;
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new TypeError(
        `AsyncQueue capacity must be a positive integer, got ${capacity}: every queue is bounded`,
      );
    }
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity);
  }

  /** Items buffered now, not counting those of waiting putters. */
  get size(): number {
    return this.#size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds `item` if there is room and returns true; returns false when full, and the
   * item is not queued (the caller decides whether to drop it). Throws
   * `QueueClosedError` after `close()`.
   */
  tryPut(item: T): boolean {
    if (this.#closed) throw new QueueClosedError();
    const getter = takeFirst(this.#getters);
    if (getter) {
      getter.resolve(item);
      return true;
    }
    if (this.#size === this.capacity) return false;
    this.#push(item);
    return true;
  }

  /**
   * Adds `item`, waiting while the queue is full. Rejects with `QueueClosedError` if
   * the queue is or becomes closed before the item got in (the item is then dropped),
   * or with `signal.reason` on abort.
   */
  put(item: T, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(new QueueClosedError());
    if (this.tryPut(item)) return Promise.resolve();
    return park(this.#putters, signal, (waiter) => ({ ...waiter, item }));
  }

  /** Takes the oldest item if there is one, without waiting. */
  tryGet(): TryGetResult<T> {
    if (this.#size === 0) return { ok: false };
    const value = this.#shift();
    // A slot just opened: the longest-waiting putter takes it, ahead of any later put.
    const putter = takeFirst(this.#putters);
    if (putter) {
      this.#push(putter.item);
      putter.resolve();
    }
    return { ok: true, value };
  }

  /**
   * Takes the oldest item, waiting while the queue is empty. Rejects with
   * `QueueClosedError` once the queue is closed and drained, or with `signal.reason`
   * on abort.
   */
  get(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const result = this.tryGet();
    if (result.ok) return Promise.resolve(result.value);
    if (this.#closed) return Promise.reject(new QueueClosedError());
    return park(this.#getters, signal, (waiter) => waiter);
  }

  /**
   * Refuses further items: waiting and later putters reject with `QueueClosedError`.
   * Buffered items can still be read; after them, getters reject too. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const putter of this.#putters) putter.reject(new QueueClosedError());
    this.#putters.clear();
    // Getters only wait on an empty queue, so nothing is left for them to drain.
    for (const getter of this.#getters) getter.reject(new QueueClosedError());
    this.#getters.clear();
  }

  /**
   * Yields items until the queue is closed and drained. Breaking out of the loop
   * leaves the queue open and loses nothing: each item is taken only when the loop
   * asks for the next one.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    while (true) {
      let item: T;
      try {
        item = await this.get();
      } catch (error) {
        if (error instanceof QueueClosedError) return;
        throw error;
      }
      yield item;
    }
  }

  #push(item: T): void {
    this.#items[(this.#head + this.#size) % this.capacity] = item;
    this.#size++;
  }

  #shift(): T {
    const item = this.#items[this.#head] as T;
    // Drop the reference so a large item (an audio frame) can be collected now.
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }
}

/** Removes and returns the oldest member of `set`. */
function takeFirst<W>(set: Set<W>): W | undefined {
  for (const member of set) {
    set.delete(member);
    return member;
  }
  return undefined;
}

/**
 * Adds a waiter to `waiters` and returns the promise it settles. On abort the waiter
 * leaves the set, so it can never be handed an item that would then be lost.
 */
function park<V, W extends Waiter<V>>(
  waiters: Set<W>,
  signal: AbortSignal | undefined,
  makeWaiter: (waiter: Waiter<V>) => W,
): Promise<V> {
  return new Promise<V>((resolve, reject) => {
    const onAbort = () => {
      waiters.delete(waiter);
      reject(signal!.reason);
    };
    const waiter = makeWaiter({
      resolve: (value) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      reject: (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    });
    waiters.add(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
