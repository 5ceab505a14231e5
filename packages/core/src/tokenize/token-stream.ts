/**
 * Cuts text into tokens (sentences, words) as it arrives. `push` returns the tokens the
 * new text completed; `finish` returns the rest and readies the splitter for new text.
 *
 * Implementations must not depend on how the text was cut: pushing a text whole, one
 * character at a time or in any other pieces, then calling `finish`, gives the same
 * tokens. Plugins implement this to get a `TokenStream` for their own tokenizer.
 */
export interface TextSplitter {
  push(text: string): string[];
  finish(): string[];
}

/**
 * A tokenizer: `tokenize()` for a whole text, `stream()` for text that arrives piece by
 * piece. For the same text both give the same tokens. The TTS stream adapter and the
 * transcription forwarder take any object of this shape.
 */
export interface Tokenizer {
  tokenize(text: string): string[];
  stream(options?: TokenStreamOptions): TokenStream;
}

/** Runs a fresh splitter over a whole text. */
export function splitAll(splitter: TextSplitter, text: string): string[] {
  return [...splitter.push(text), ...splitter.finish()];
}

/**
 * What a token stream yields, segment by segment, like a TTS stream: `started` when the
 * first text of a segment is pushed, then its `token`s in order, then `finished` after
 * `flush()` (or `endInput()`). Segments are numbered from 0.
 */
export type TokenEvent =
  | { type: 'started'; segmentId: number }
  | { type: 'token'; segmentId: number; token: string }
  | { type: 'finished'; segmentId: number };

/** Raised by `pushText()` or `flush()` after `endInput()` or `close()`. */
export class TokenStreamClosedError extends Error {
  override name = 'TokenStreamClosedError';
}

/** Raised by `pushText()` when the reader has fallen `maxBufferedChars` behind. */
export class TokenStreamFullError extends Error {
  override name = 'TokenStreamFullError';
}

/** Options of a `TokenStream`. */
export interface TokenStreamOptions {
  /**
   * Most characters of unread tokens the stream holds, plus the text being pushed.
   * Default 1 MiB: far more than any spoken reply, small enough to fail loudly when
   * nothing reads the stream.
   */
  maxBufferedChars?: number;
}

const DEFAULT_MAX_BUFFERED_CHARS = 2 ** 20;
/** The read part of the event list is cut away once it is this long and half the list. */
const COMPACT_AFTER = 1024;

/**
 * Tokens of text pushed piece by piece, as an async iterable of `TokenEvent`s.
 *
 * A producer calls `pushText()` as text arrives (an LLM reply), `flush()` at the end of
 * each segment and `endInput()` when done; one reader iterates the events. A token is
 * released as soon as its end is certain (for sentences: once the next one has begun);
 * the rest of a segment at `flush()`.
 *
 * `pushText()` is synchronous and never waits, so events wait in a list until read.
 * The list only ever holds text that was pushed, and is bounded: a push that would
 * take the unread text past `maxBufferedChars` throws `TokenStreamFullError` and is
 * not taken. `close()` (or `break` out of the reading loop) drops unread events, ends
 * the iteration at once and aborts `signal`, which a producer can watch to stop.
 */
export class TokenStream implements AsyncIterable<TokenEvent>, AsyncDisposable {
  readonly #splitter: TextSplitter;
  readonly #maxBufferedChars: number;
  readonly #abort = new AbortController();
  #events: TokenEvent[] = [];
  /** Index in `#events` of the oldest unread event. */
  #nextEvent = 0;
  #unreadChars = 0;
  #segmentId = 0;
  #segmentOpen = false;
  #inputEnded = false;
  #closed = false;
  #iterated = false;
  /** Resolves the reader's wait for an event, if it is waiting. */
  #wakeReader: (() => void) | undefined;

  constructor(splitter: TextSplitter, options: TokenStreamOptions = {}) {
    const maxBufferedChars = options.maxBufferedChars ?? DEFAULT_MAX_BUFFERED_CHARS;
    if (!Number.isInteger(maxBufferedChars) || maxBufferedChars <= 0) {
      throw new TypeError(`maxBufferedChars must be a positive integer, got ${maxBufferedChars}`);
    }
    this.#splitter = splitter;
    this.#maxBufferedChars = maxBufferedChars;
  }

  /** Aborted once the stream is closed: by `close()`, a `break` or the end of iteration. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Adds text to the current segment, starting one if needed. Empty text is ignored. */
  pushText(text: string): void {
    this.#assertAcceptingInput('pushText');
    if (text.length === 0) return;
    if (this.#unreadChars + text.length > this.#maxBufferedChars) {
      throw new TokenStreamFullError(
        `token stream reader is ${this.#unreadChars} characters behind; ` +
          `taking ${text.length} more would pass maxBufferedChars (${this.#maxBufferedChars})`,
      );
    }
    const segmentId = this.#segmentId;
    if (!this.#segmentOpen) {
      this.#segmentOpen = true;
      this.#enqueue({ type: 'started', segmentId });
    }
    for (const token of this.#splitter.push(text))
      this.#enqueue({ type: 'token', segmentId, token });
    this.#wake();
  }

  /** Ends the current segment: releases its remaining tokens, then `finished`. No-op if none. */
  flush(): void {
    this.#assertAcceptingInput('flush');
    this.#endSegment();
    this.#wake();
  }

  /** Flushes, then takes no more text; iteration ends once the reader has every event. */
  endInput(): void {
    if (this.#inputEnded) return;
    this.#endSegment();
    this.#inputEnded = true;
    this.#wake();
  }

  /** Stops now: unread events are dropped and iteration ends. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inputEnded = true;
    this.#events = [];
    this.#nextEvent = 0;
    this.#unreadChars = 0;
    this.#abort.abort();
    this.#wake();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Yields events until input ends and all are read, or the stream is closed. One reader. */
  async *[Symbol.asyncIterator](): AsyncGenerator<TokenEvent, void, undefined> {
    if (this.#iterated) throw new Error('a TokenStream has one reader: iterate it only once');
    this.#iterated = true;
    try {
      for (;;) {
        const event = this.#dequeue();
        if (event) yield event;
        else if (this.#inputEnded) return;
        else await new Promise<void>((resolve) => (this.#wakeReader = resolve));
      }
    } finally {
      // Reached by `break` too: a reader that stops reading closes the stream.
      this.close();
    }
  }

  #assertAcceptingInput(method: string): void {
    if (this.#closed) {
      throw new TokenStreamClosedError(`${method}() on a closed token stream`);
    }
    if (this.#inputEnded) {
      throw new TokenStreamClosedError(
        `${method}() after endInput(): the stream takes no more text`,
      );
    }
  }

  #endSegment(): void {
    if (!this.#segmentOpen) return;
    const segmentId = this.#segmentId;
    for (const token of this.#splitter.finish()) this.#enqueue({ type: 'token', segmentId, token });
    this.#enqueue({ type: 'finished', segmentId });
    this.#segmentOpen = false;
    this.#segmentId++;
  }

  #enqueue(event: TokenEvent): void {
    this.#events.push(event);
    if (event.type === 'token') this.#unreadChars += event.token.length;
  }

  #dequeue(): TokenEvent | undefined {
    const event = this.#events[this.#nextEvent];
    if (event === undefined) return undefined;
    this.#nextEvent++;
    if (event.type === 'token') this.#unreadChars -= event.token.length;
    // Free what was read: at once when all is read, else in halves, so each event is
    // moved at most a few times however far behind the reader runs.
    if (this.#nextEvent === this.#events.length) {
      this.#events = [];
      this.#nextEvent = 0;
    } else if (this.#nextEvent >= COMPACT_AFTER && this.#nextEvent * 2 >= this.#events.length) {
      this.#events.splice(0, this.#nextEvent);
      this.#nextEvent = 0;
    }
    return event;
  }

  #wake(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }
}
