import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { initializeLogger } from '../src/log.js';
import { UsageCollector } from '../src/metrics/usage.js';
import {
  AsyncStream,
  DuplexStream,
  FLUSH,
  StreamClosedError,
  StreamFullError,
} from '../src/utils/async-stream.js';
import { sleep } from '../src/utils/sleep.js';

class Numbers extends AsyncStream<number> {
  stoppedBy: unknown;
  /** Ends the wait of a run() that ignores the abort, so the test leaves no timer behind. */
  readonly release = new AbortController();
  constructor(
    private readonly count: number,
    private readonly failAfter?: Error,
    closeTimeoutMs?: number,
    private readonly ignoreAbort = false,
  ) {
    super({ outputCapacity: 2, closeTimeoutMs });
  }
  protected async run(): Promise<void> {
    for (let i = 0; i < this.count; i++) {
      if (!(await this.emit(i))) {
        this.stoppedBy = this.signal.reason;
        return;
      }
    }
    if (this.ignoreAbort) await sleep(60_000, this.release.signal).catch(() => {});
    if (this.failAfter) throw this.failAfter;
  }
}

class Echo extends DuplexStream<string, string> {
  released = 0;
  constructor(
    capacity: number,
    whenInputFull: 'drop' | 'throw',
    private readonly failOn?: string,
  ) {
    super({ inputCapacity: capacity, whenInputFull, outputCapacity: 2 });
    this.whenRunEnds(() => this.released++);
  }
  push(text: string): void {
    this.pushInput(text);
  }
  write(text: string, signal?: AbortSignal): Promise<void> {
    return this.writeInput(text, signal);
  }
  protected async run(): Promise<void> {
    for await (const item of this.input()) {
      if (item === this.failOn) throw new Error(`failed on ${item}`);
      await this.emit(item === FLUSH ? '|' : item);
    }
  }
}

async function readAll(stream: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

afterEach(() => initializeLogger({ level: 'silent', pretty: false }));

describe('AsyncStream', () => {
  it('delivers results in order with backpressure, then ends', async () => {
    const out: number[] = [];
    for await (const n of new Numbers(10)) out.push(n);
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('hands run() failures to the reader after the results before them', async () => {
    const stream = new Numbers(3, new Error('boom'));
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const n of stream) out.push(n);
      })(),
    ).rejects.toThrow('boom');
    expect(out).toEqual([0, 1, 2]);
  });

  it('aborts run() on break, and emit() then reports false', async () => {
    const stream = new Numbers(1000);
    for await (const n of stream) if (n === 4) break;
    expect(stream.closed).toBe(true);
    expect(stream.stoppedBy).toBeInstanceOf(Error);
    expect((stream.stoppedBy as Error).name).toBe('StreamClosedError');
  });

  it('gives up on a run() that ignores the abort after closeTimeoutMs, with a warning', async () => {
    const lines: string[] = [];
    initializeLogger({
      level: 'warn',
      pretty: false,
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const stream = new Numbers(0, undefined, 20, true);
    await stream.close();
    stream.release.abort();
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
      'stream did not stop within its close deadline; abandoning it',
    ]);
  });
});

describe('DuplexStream', () => {
  it('passes inputs and segment ends to run(), and ends after endInput()', async () => {
    const echo = new Echo(10, 'throw');
    echo.push('a');
    echo.flush();
    echo.push('b');
    echo.endInput();
    const out: string[] = [];
    for await (const item of echo) out.push(item);
    expect(out).toEqual(['a', '|', 'b']);
    expect(() => echo.push('c')).toThrow(StreamClosedError);
    expect(() => echo.push('c')).toThrow(/cannot push after endInput\(\)/);
  });

  it('throws or drops when the input buffer is full, as configured', async () => {
    const strict = new Echo(2, 'throw');
    const lenient = new Echo(2, 'drop');
    // run() starts on a later tick, so nothing is consumed yet: fill both at once.
    strict.push('1');
    strict.push('2');
    expect(() => strict.push('3')).toThrow(StreamFullError);
    expect(() => strict.push('3')).toThrow(/input buffer full \(2 items\)/);
    lenient.push('1');
    lenient.push('2');
    expect(() => lenient.push('3')).not.toThrow();
    lenient.endInput();
    const out: string[] = [];
    for await (const item of lenient) out.push(item);
    expect(out).toEqual(['1', '2']);
    await strict.close();
  });
});

describe('DuplexStream input', () => {
  it('keeps a segment end pushed into a full buffer, merging a second one in a row', async () => {
    const echo = new Echo(2, 'drop');
    echo.push('1');
    echo.push('2');
    echo.push('dropped');
    expect(() => echo.flush()).not.toThrow();
    expect(() => echo.flush()).not.toThrow();
    echo.endInput();
    expect(await readAll(echo)).toEqual(['1', '2', '|']);
    const strict = new Echo(1, 'throw');
    strict.push('a');
    expect(() => strict.flush()).not.toThrow();
    strict.endInput();
    expect(await readAll(strict)).toEqual(['a', '|']);
  });

  it('write() waits for room instead of dropping, and loses nothing', async () => {
    const echo = new Echo(3, 'drop');
    const reading = readAll(echo);
    const items = Array.from({ length: 200 }, (_, i) => String(i));
    for (const item of items) await echo.write(item);
    echo.endInput();
    expect(await reading).toEqual(items);
  });

  it('a waiting write() ends with close(), endInput() or its signal, queuing nothing', async () => {
    const echo = new Echo(1, 'drop');
    echo.push('a');
    const closing = echo.write('b');
    await echo.close();
    await expect(closing).rejects.toThrow(StreamClosedError);
    await expect(closing).rejects.toThrow(/cannot push after close\(\)/);

    const ended = new Echo(1, 'drop');
    ended.push('a');
    const ending = ended.write('b');
    ended.endInput();
    await expect(ending).rejects.toThrow(/cannot push after endInput\(\)/);
    expect(await readAll(ended)).toEqual(['a']);

    const cancelled = new Echo(1, 'drop');
    cancelled.push('a');
    const stop = new AbortController();
    const waiting = cancelled.write('b', stop.signal);
    stop.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    cancelled.endInput();
    expect(await readAll(cancelled)).toEqual(['a']);
  });

  it('ends its input when run() fails: pushes and writes get StreamClosedError', async () => {
    const echo = new Echo(1, 'drop', 'bad');
    echo.push('bad');
    await expect(readAll(echo)).rejects.toThrow('failed on bad');
    await expect(echo.write('next')).rejects.toThrow(StreamClosedError);
    expect(() => echo.push('more')).toThrow(/cannot push after the stream ended/);
    expect(echo.released).toBe(1);
  });

  it('runs whenRunEnds callbacks when the stream ends by itself, without close()', async () => {
    const echo = new Echo(4, 'drop');
    echo.push('a');
    echo.endInput();
    expect(echo.released).toBe(0);
    expect(await readAll(echo)).toEqual(['a']);
    expect(echo.released).toBe(1);
    await echo.close();
    expect(echo.released).toBe(1);
  });
});

describe('UsageCollector', () => {
  it('adds up usage across metrics of every kind', () => {
    const usage = new UsageCollector();
    const base = { label: 'x', requestId: '', timestamp: 0 };
    usage.collect({
      ...base,
      type: 'llm',
      ttftMs: 1,
      durationMs: 2,
      promptTokens: 10,
      completionTokens: 4,
      totalTokens: 14,
      tokensPerSecond: 1,
      cancelled: false,
    });
    usage.collect({
      ...base,
      type: 'llm',
      ttftMs: 1,
      durationMs: 2,
      promptTokens: 5,
      completionTokens: 1,
      totalTokens: 6,
      tokensPerSecond: 1,
      cancelled: false,
    });
    usage.collect({
      ...base,
      type: 'tts',
      ttfbMs: 1,
      durationMs: 2,
      characters: 42,
      audioDurationMs: 900,
      cancelled: false,
      streamed: true,
    });
    usage.collect({
      ...base,
      type: 'stt',
      durationMs: 2,
      audioDurationMs: 1500,
      latencyToFinalMs: 3,
      streamed: true,
    });
    usage.collect({
      ...base,
      type: 'vad',
      inferenceDurationMs: 1,
      inferenceCount: 3,
      audioDurationMs: 96,
      realTimeFactor: 0.01,
    });
    expect(usage.summary()).toEqual({
      llmPromptTokens: 15,
      llmCompletionTokens: 5,
      ttsCharacters: 42,
      sttAudioDurationMs: 1500,
    });
  });
});
