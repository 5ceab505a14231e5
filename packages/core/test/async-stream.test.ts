import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { initializeLogger } from '../src/log.js';
import { UsageCollector } from '../src/metrics/usage.js';
import { AsyncStream, DuplexStream, FLUSH } from '../src/utils/async-stream.js';
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
  constructor(capacity: number, whenInputFull: 'drop' | 'throw') {
    super({ inputCapacity: capacity, whenInputFull });
  }
  push(text: string): void {
    this.pushInput(text);
  }
  protected async run(): Promise<void> {
    for await (const item of this.input()) await this.emit(item === FLUSH ? '|' : item);
  }
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
    expect(() => echo.push('c')).toThrow(/cannot push after/);
  });

  it('throws or drops when the input buffer is full, as configured', async () => {
    const strict = new Echo(2, 'throw');
    const lenient = new Echo(2, 'drop');
    // run() starts on a later tick, so nothing is consumed yet: fill both at once.
    strict.push('1');
    strict.push('2');
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
