import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  type ChatChunk,
  ChatContext,
  type ChatOptions,
  LLM,
  LLMStream,
  tool,
} from '../src/llm/index.js';
import type { LLMMetrics } from '../src/metrics/index.js';
import { sleep } from '../src/utils/sleep.js';

/** A step of a scripted reply: a chunk to emit, a pause, a failure, or waiting for the abort. */
type Step = ChatChunk | { waitMs: number } | { fail: Error } | 'hang';

/**
 * The smallest LLM there is: replays one script per `chat()`, so tests control every
 * chunk and pause.
 */
class ScriptedLLM extends LLM {
  readonly label = 'test.LLM';
  readonly streams: ScriptedStream[] = [];
  readonly metrics: LLMMetrics[] = [];
  readonly scripts: Step[][];

  constructor(...scripts: Step[][]) {
    super();
    this.scripts = scripts;
    this.on('metrics_collected', (m) => this.metrics.push(m));
  }

  protected createStream(options: ChatOptions): LLMStream {
    const stream = new ScriptedStream(this, options, this.scripts[this.streams.length] ?? []);
    this.streams.push(stream);
    return stream;
  }
}

class ScriptedStream extends LLMStream {
  abortedAtStart = false;
  sawAbort = false;
  ranToEnd = false;

  constructor(
    llm: LLM,
    options: ChatOptions,
    readonly script: Step[],
  ) {
    super(llm, options);
  }

  protected async run(): Promise<void> {
    this.abortedAtStart = this.signal.aborted;
    try {
      for (const step of this.script) {
        if (step === 'hang') {
          await sleep(60_000, this.signal);
        } else if ('waitMs' in step) {
          await sleep(step.waitMs, this.signal);
        } else if ('fail' in step) {
          throw step.fail;
        } else if (!(await this.emit(step))) {
          return;
        }
      }
    } finally {
      this.sawAbort = this.signal.aborted;
      this.ranToEnd = true;
    }
  }
}

const text = (content: string): ChatChunk => ({ requestId: 'req_1', delta: { content } });
const usage = (promptTokens: number, completionTokens: number): ChatChunk => ({
  requestId: 'req_1',
  usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
});
const call = { id: 'call_1', name: 'getWeather', arguments: '{"city":"Paris"}' };

async function collect(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const chunks: ChatChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const chatCtx = () => new ChatContext().append({ role: 'user', content: 'Weather in Paris?' });

afterEach(() => {
  vi.useRealTimers();
});

describe('LLMStream', () => {
  it('delivers the chunks in order and collects the function calls', async () => {
    const script: ChatChunk[] = [
      { requestId: 'req_1', delta: { role: 'assistant' } },
      text('Let me '),
      text('check.'),
      { requestId: 'req_1', delta: { toolCalls: [call] } },
      usage(12, 7),
    ];
    const llm = new ScriptedLLM(script);
    const stream = llm.chat({ chatCtx: chatCtx() });

    expect(await collect(stream)).toEqual(script);
    expect(stream.functionCalls).toEqual([call]);
    expect(llm.streams[0]!.sawAbort).toBe(false);
  });

  it('measures ttft, duration and tokens', async () => {
    vi.useFakeTimers();
    const llm = new ScriptedLLM([
      { requestId: 'req_1', delta: { role: 'assistant' } },
      { waitMs: 100 },
      text('Hello'),
      { waitMs: 300 },
      text(' there'),
      usage(40, 20),
    ]);
    const done = collect(llm.chat({ chatCtx: chatCtx() }));
    await vi.advanceTimersByTimeAsync(1000);
    await done;

    expect(llm.metrics).toHaveLength(1);
    const m = llm.metrics[0]!;
    expect(m).toMatchObject({
      type: 'llm',
      label: 'test.LLM',
      requestId: 'req_1',
      promptTokens: 40,
      completionTokens: 20,
      totalTokens: 60,
      cancelled: false,
    });
    // A role-only chunk is not a token: the clock starts at the first text.
    expect(m.ttftMs).toBe(100);
    expect(m.durationMs).toBeGreaterThanOrEqual(400);
    expect(m.tokensPerSecond).toBeCloseTo(20 / ((m.durationMs - m.ttftMs) / 1000));
  });

  it('counts a tool call as the first token and reports once', async () => {
    const llm = new ScriptedLLM([{ requestId: 'r', delta: { toolCalls: [call] } }]);
    const stream = llm.chat({ chatCtx: chatCtx() });
    await collect(stream);
    await stream.close();

    expect(llm.metrics).toHaveLength(1);
    const m = llm.metrics[0]!;
    expect(m.ttftMs).toBeGreaterThanOrEqual(0);
    expect(m.ttftMs).toBeLessThanOrEqual(m.durationMs);
    expect(m.completionTokens).toBe(0);
    expect(m.tokensPerSecond).toBe(0);
  });

  it('stops the producer on break and reports the reply as cancelled', async () => {
    const llm = new ScriptedLLM([text('a'), text('b'), 'hang', text('never')]);
    const stream = llm.chat({ chatCtx: chatCtx() });
    const seen: string[] = [];
    for await (const chunk of stream) {
      seen.push(chunk.delta?.content ?? '');
      if (seen.length === 2) break;
    }

    expect(seen).toEqual(['a', 'b']);
    expect(llm.streams[0]!.ranToEnd).toBe(true);
    expect(llm.streams[0]!.sawAbort).toBe(true);
    expect(llm.metrics).toMatchObject([{ cancelled: true, completionTokens: 0 }]);
    expect(llm.metrics[0]!.ttftMs).toBeLessThanOrEqual(llm.metrics[0]!.durationMs);
  });

  it('closes when the chat signal aborts', async () => {
    const abort = new AbortController();
    const llm = new ScriptedLLM([text('a'), 'hang', text('never')]);
    const stream = llm.chat({ chatCtx: chatCtx(), signal: abort.signal });
    const chunks: ChatChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      abort.abort();
    }

    expect(chunks).toEqual([text('a')]);
    expect(stream.closed).toBe(true);
    await stream.close(); // returns once run() has stopped
    expect(llm.streams[0]!.sawAbort).toBe(true);
    expect(llm.metrics).toMatchObject([{ cancelled: true }]);
  });

  it('yields nothing when the chat signal was already aborted', async () => {
    const llm = new ScriptedLLM(['hang', text('never')]);
    const stream = llm.chat({ chatCtx: chatCtx(), signal: AbortSignal.abort() });

    expect(await collect(stream)).toEqual([]);
    expect(llm.streams[0]!.abortedAtStart).toBe(true);
    expect(llm.metrics).toMatchObject([{ cancelled: true, ttftMs: -1 }]);
  });

  it('passes a failure of the provider to the reader after the chunks before it', async () => {
    const llm = new ScriptedLLM([text('a'), { fail: new Error('provider down') }]);
    const stream = llm.chat({ chatCtx: chatCtx() });
    const chunks: ChatChunk[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) chunks.push(chunk);
      })(),
    ).rejects.toThrow('provider down');

    expect(chunks).toEqual([text('a')]);
    expect(llm.metrics).toMatchObject([{ cancelled: false }]);
  });

  it('runs the calls it saw; the next turn sees the calls, then their results', async () => {
    const calls = [
      { id: 'c1', name: 'getWeather', arguments: '{"city":"Paris"}' },
      { id: 'c2', name: 'getWeather', arguments: '{"city":"Rome"}' },
    ];
    const fncCtx = {
      getWeather: tool({
        description: 'Current weather in a city',
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }) => `${city}: sunny`,
      }),
    };
    const llm = new ScriptedLLM(
      [text('Checking.'), { requestId: 'req_1', delta: { toolCalls: calls } }, usage(20, 15)],
      [text('Sunny in both.')],
    );
    const ctx = chatCtx();

    const first = llm.chat({ chatCtx: ctx, fncCtx });
    let reply = '';
    for await (const chunk of first) reply += chunk.delta?.content ?? '';
    const results = await first.executeFunctions();
    ctx.appendToolCalls(first.functionCalls, reply).appendToolResults(results);

    const second = llm.chat({ chatCtx: ctx, fncCtx });
    expect(await collect(second)).toEqual([text('Sunny in both.')]);
    expect(llm.streams[1]!.chatCtx.messages).toMatchObject([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Checking.', toolCalls: calls },
      {
        role: 'tool',
        toolCallId: 'c1',
        name: 'getWeather',
        content: 'Paris: sunny',
        isError: false,
      },
      {
        role: 'tool',
        toolCallId: 'c2',
        name: 'getWeather',
        content: 'Rome: sunny',
        isError: false,
      },
    ]);
    expect(llm.metrics.map((m) => m.completionTokens)).toEqual([15, 0]);
  });

  it('rejects option values no provider accepts', () => {
    const llm = new ScriptedLLM([]);
    const ctx = chatCtx();
    const fncCtx = {
      getWeather: tool({ description: 'weather', parameters: z.object({}), execute: () => '' }),
    };
    const bad: [Partial<ChatOptions>, RegExp][] = [
      [{ temperature: -0.1 }, /temperature must be between 0 and 2/],
      [{ temperature: 2.5 }, /temperature/],
      [{ temperature: Number.NaN }, /temperature/],
      [{ n: 0 }, /n must be a positive integer \(got 0\)/],
      [{ n: 1.5 }, /n must be a positive integer/],
      [{ toolChoice: 'required' }, /needs at least one tool/],
      [{ toolChoice: { name: 'nope' }, fncCtx }, /"nope", which is not in fncCtx/],
      [{ toolChoice: 'sometimes' as 'auto' }, /toolChoice must be/],
      [{ chatCtx: [] as unknown as ChatContext }, /chatCtx must be a ChatContext/],
    ];
    for (const [options, error] of bad) {
      expect(() => llm.chat({ chatCtx: ctx, ...options }), JSON.stringify(options)).toThrow(error);
    }
    expect(llm.streams).toHaveLength(0);

    const ok = llm.chat({
      chatCtx: ctx,
      fncCtx,
      temperature: 0,
      n: 2,
      toolChoice: { name: 'getWeather' },
      parallelToolCalls: false,
    });
    return ok.close();
  });
});
