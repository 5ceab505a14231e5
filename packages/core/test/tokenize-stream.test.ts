import { describe, expect, it } from 'vitest';
import {
  SentenceTokenizer,
  type TokenEvent,
  TokenStreamClosedError,
  TokenStreamFullError,
  WordTokenizer,
} from '../src/tokenize/index.js';

const sentences = () => new SentenceTokenizer({ minSentenceLength: 0 });

const IDLE = Symbol('idle');

/**
 * Reads a stream step by step. Events waiting in a stream reach the reader through
 * promise callbacks only, so once a `setImmediate` callback runs, every event that was
 * waiting has been read.
 */
class StepReader {
  readonly #iterator: AsyncIterator<TokenEvent>;
  #pending: Promise<IteratorResult<TokenEvent>> | undefined;

  constructor(stream: AsyncIterable<TokenEvent>) {
    this.#iterator = stream[Symbol.asyncIterator]();
  }

  /** The events waiting now; a read still waiting is kept for the next call. */
  async available(): Promise<TokenEvent[]> {
    const events: TokenEvent[] = [];
    for (;;) {
      this.#pending ??= this.#iterator.next();
      const idle = new Promise<typeof IDLE>((resolve) => setImmediate(resolve, IDLE));
      const result = await Promise.race([this.#pending, idle]);
      if (result === IDLE) return events;
      this.#pending = undefined;
      if (result.done) return events;
      events.push(result.value);
    }
  }
}

describe('TokenStream events', () => {
  it('frames each segment with started and finished, tokens in order', async () => {
    const stream = sentences().stream();
    stream.pushText('Hello there. How are ');
    stream.pushText('you?');
    stream.endInput();
    const events: TokenEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events).toEqual([
      { type: 'started', segmentId: 0 },
      { type: 'token', segmentId: 0, token: 'Hello there.' },
      { type: 'token', segmentId: 0, token: 'How are you?' },
      { type: 'finished', segmentId: 0 },
    ]);
  });

  it('releases a sentence as soon as the next one has begun, the rest at flush()', async () => {
    const stream = sentences().stream();
    const reader = new StepReader(stream);
    stream.pushText('Hello there.');
    expect(await reader.available()).toEqual([{ type: 'started', segmentId: 0 }]);
    stream.pushText(' ');
    expect(await reader.available()).toEqual([]);
    stream.pushText('H');
    expect(await reader.available()).toEqual([
      { type: 'token', segmentId: 0, token: 'Hello there.' },
    ]);
    stream.pushText('ow are you?');
    expect(await reader.available()).toEqual([]);
    stream.flush();
    expect(await reader.available()).toEqual([
      { type: 'token', segmentId: 0, token: 'How are you?' },
      { type: 'finished', segmentId: 0 },
    ]);
    stream.close();
  });

  it('starts a new segment when text follows a flush()', async () => {
    const stream = sentences().stream();
    stream.pushText('One. Two');
    stream.flush();
    stream.flush(); // nothing pushed since: no empty segment
    stream.pushText('');
    stream.pushText('Three.');
    stream.endInput();
    const events: TokenEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events).toEqual([
      { type: 'started', segmentId: 0 },
      { type: 'token', segmentId: 0, token: 'One.' },
      { type: 'token', segmentId: 0, token: 'Two' },
      { type: 'finished', segmentId: 0 },
      { type: 'started', segmentId: 1 },
      { type: 'token', segmentId: 1, token: 'Three.' },
      { type: 'finished', segmentId: 1 },
    ]);
  });

  it('does not carry text across segments', async () => {
    // "Mr." at the end of a segment is released there, not joined to the next segment.
    const stream = sentences().stream();
    stream.pushText('I met Mr.');
    stream.flush();
    stream.pushText('Smith arrived.');
    stream.endInput();
    const tokens: string[] = [];
    for await (const event of stream) if (event.type === 'token') tokens.push(event.token);
    expect(tokens).toEqual(['I met Mr.', 'Smith arrived.']);
  });

  it('streams words: each released once the next has begun, the last at flush()', async () => {
    const stream = new WordTokenizer().stream();
    const reader = new StepReader(stream);
    stream.pushText('Hello');
    expect(await reader.available()).toEqual([{ type: 'started', segmentId: 0 }]);
    stream.pushText(', wor');
    expect(await reader.available()).toEqual([{ type: 'token', segmentId: 0, token: 'Hello' }]);
    stream.pushText('ld!');
    stream.endInput();
    expect(await reader.available()).toEqual([
      { type: 'token', segmentId: 0, token: 'world' },
      { type: 'finished', segmentId: 0 },
    ]);
  });
});

describe('TokenStream lifecycle', () => {
  it('ends iteration once input has ended and every event is read', async () => {
    const stream = sentences().stream();
    stream.pushText('Done.');
    stream.endInput();
    stream.endInput(); // idempotent
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['started', 'token', 'finished']);
    expect(stream.closed).toBe(true);
  });

  it('close() mid-stream ends a waiting iteration promptly and drops unread events', async () => {
    const stream = sentences().stream();
    stream.pushText('First sentence. Second');
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'started', segmentId: 0 });
    stream.close();
    const started = performance.now();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(performance.now() - started).toBeLessThan(50);

    const waiting = sentences().stream();
    const reader = waiting[Symbol.asyncIterator]();
    const read = reader.next();
    setTimeout(() => waiting.close(), 5);
    expect(await read).toEqual({ done: true, value: undefined });
    expect(waiting.signal.aborted).toBe(true);
  });

  it('throws a clear error for input after endInput() or close()', () => {
    const ended = sentences().stream();
    ended.endInput();
    expect(() => ended.pushText('more')).toThrow(TokenStreamClosedError);
    expect(() => ended.pushText('more')).toThrow('pushText() after endInput()');
    expect(() => ended.flush()).toThrow(TokenStreamClosedError);

    const closed = sentences().stream();
    closed.close();
    closed.close(); // idempotent
    expect(() => closed.pushText('more')).toThrow('pushText() on a closed token stream');
    expect(() => closed.endInput()).not.toThrow();
  });

  it('closes the stream when the reader breaks out of for await', async () => {
    const stream = sentences().stream();
    stream.pushText('One sentence. Another one. And more.');
    for await (const event of stream) if (event.type === 'token') break;
    expect(stream.closed).toBe(true);
    expect(stream.signal.aborted).toBe(true);
    expect(() => stream.pushText('x')).toThrow(TokenStreamClosedError);
  });

  it('closes on asyncDispose', async () => {
    const stream = sentences().stream();
    await stream[Symbol.asyncDispose]();
    expect(stream.closed).toBe(true);
  });

  it('has one reader', async () => {
    const stream = sentences().stream();
    stream.endInput();
    for await (const _ of stream);
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toThrow('iterate it only once');
  });

  it('refuses a push that would put the reader more than maxBufferedChars behind', async () => {
    const stream = sentences().stream({ maxBufferedChars: 40 });
    stream.pushText('First sentence here. Second ');
    stream.pushText('sentence. Third ');
    // 36 characters of tokens are unread: 13 more would pass the bound.
    expect(() => stream.pushText('one. And more')).toThrow(TokenStreamFullError);
    const reader = new StepReader(stream);
    const read = await reader.available();
    expect(read.map((event) => event.type)).toEqual(['started', 'token', 'token']);
    stream.pushText('one. And more'); // the reader caught up: taken now
    stream.endInput();
    expect(await reader.available()).toEqual([
      { type: 'token', segmentId: 0, token: 'Third one.' },
      { type: 'token', segmentId: 0, token: 'And more' },
      { type: 'finished', segmentId: 0 },
    ]);
    expect(() => sentences().stream({ maxBufferedChars: 0 })).toThrow(TypeError);
  });
});
