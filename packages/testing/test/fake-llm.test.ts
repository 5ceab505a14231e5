import { llm, type metrics } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakeLLM, ScriptError } from '../src/index.js';

function conversation(): llm.ChatContext {
  return llm.ChatContext.from([
    { role: 'system', content: 'You are a helpful voice assistant.' },
    { role: 'user', content: 'What is the weather in Paris and in Oslo?' },
  ]);
}

async function readAll(stream: llm.LLMStream): Promise<llm.ChatChunk[]> {
  const chunks: llm.ChatChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const text = (chunks: llm.ChatChunk[]) => chunks.map((c) => c.delta?.content ?? '').join('');

describe('LLM through FakeLLM', () => {
  it('streams the reply in order, then usage, and reports metrics', async () => {
    const fake = new FakeLLM({
      responses: [
        { content: 'It is sunny today.', usage: { promptTokens: 30, completionTokens: 5 } },
      ],
    });
    const seen: metrics.LLMMetrics[] = [];
    fake.on('metrics_collected', (m) => seen.push(m));
    const chunks = await readAll(fake.chat({ chatCtx: conversation() }));

    expect(chunks.filter((c) => c.delta).map((c) => c.delta!.content)).toEqual([
      'It ',
      'is ',
      'sunny ',
      'today.',
    ]);
    expect(chunks.at(-1)!.usage).toEqual({
      promptTokens: 30,
      completionTokens: 5,
      totalTokens: 35,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: 'llm',
      promptTokens: 30,
      completionTokens: 5,
      cancelled: false,
    });
    expect(seen[0]!.ttftMs).toBeGreaterThanOrEqual(0);
    expect(seen[0]!.ttftMs).toBeLessThanOrEqual(seen[0]!.durationMs);
    fake.assertDone();
  });

  it('runs two parallel tool calls, feeds the results back, and answers in the next turn', async () => {
    const cities: string[] = [];
    const fncCtx = {
      getWeather: llm.tool({
        description: 'Current weather in a city',
        parameters: z.object({
          city: z.string(),
          unit: z.enum(['celsius', 'fahrenheit']).optional(),
        }),
        execute: async ({ city }) => {
          cities.push(city);
          return {
            city,
            sky: city === 'Paris' ? 'sunny' : 'snow',
            degrees: city === 'Paris' ? 21 : -3,
          };
        },
      }),
    };
    const fake = new FakeLLM({
      responses: [
        {
          content: 'Let me check.',
          toolCalls: [
            { name: 'getWeather', arguments: { city: 'Paris' } },
            { name: 'getWeather', arguments: { city: 'Oslo', unit: 'celsius' } },
          ],
          expect: ({ fncCtx: tools, parallelToolCalls }) => {
            expect(Object.keys(tools ?? {})).toEqual(['getWeather']);
            expect(parallelToolCalls).toBe(true);
          },
        },
        {
          content: 'Paris is sunny at 21 degrees; Oslo has snow at minus 3.',
          expect: ({ chatCtx }) => {
            const roles = chatCtx.messages.map((m) => m.role);
            expect(roles).toEqual(['system', 'user', 'assistant', 'tool', 'tool']);
            const tools = chatCtx.messages.filter((m) => m.role === 'tool');
            expect(tools.map((m) => JSON.parse(m.content).city)).toEqual(['Paris', 'Oslo']);
            expect(tools.map((m) => m.toolCallId)).toEqual(['call_1_1', 'call_1_2']);
          },
        },
      ],
    });

    const chatCtx = conversation();
    const first = fake.chat({ chatCtx, fncCtx, parallelToolCalls: true });
    const chunks = await readAll(first);
    expect(text(chunks)).toBe('Let me check.');
    expect(first.functionCalls.map((c) => c.name)).toEqual(['getWeather', 'getWeather']);

    const results = await first.executeFunctions();
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(cities.sort()).toEqual(['Oslo', 'Paris']);
    chatCtx.appendToolCalls(first.functionCalls, text(chunks)).appendToolResults(results);

    const answer = await readAll(fake.chat({ chatCtx, fncCtx }));
    expect(text(answer)).toBe('Paris is sunny at 21 degrees; Oslo has snow at minus 3.');
    fake.assertDone();
  });

  it('returns invalid tool arguments to the model as an error result', async () => {
    let executed = false;
    const fncCtx = {
      setVolume: llm.tool({
        description: 'Set the speaker volume',
        parameters: z.object({ level: z.number().int().min(0).max(10) }),
        execute: async () => {
          executed = true;
        },
      }),
    };
    const fake = new FakeLLM({
      responses: [{ toolCalls: [{ name: 'setVolume', arguments: { level: 'loud' } }] }],
    });
    const stream = fake.chat({ chatCtx: conversation(), fncCtx });
    await readAll(stream);
    const [result] = await stream.executeFunctions();
    expect(executed).toBe(false);
    expect(result!.status).toBe('invalid_arguments');
    expect(result!.message).toMatchObject({ role: 'tool', isError: true });
    expect(result!.message.content).toMatch(/level/);
  });

  it('stops promptly when the chat signal aborts mid-reply, reporting a cancelled request', async () => {
    const fake = new FakeLLM({
      responses: [{ content: ['Once ', 'upon ', 'a ', 'time'], chunkDelayMs: 60_000 }],
    });
    const seen: metrics.LLMMetrics[] = [];
    fake.on('metrics_collected', (m) => seen.push(m));
    const controller = new AbortController();
    const stream = fake.chat({ chatCtx: conversation(), signal: controller.signal });
    const received: string[] = [];
    for await (const chunk of stream) {
      received.push(chunk.delta?.content ?? '');
      controller.abort();
    }
    expect(received).toEqual(['Once ']);
    await stream.close();
    expect(seen.map((m) => m.cancelled)).toEqual([true]);
  });

  it('stops on break, and hands a cut stream to the reader as an error', async () => {
    const fake = new FakeLLM({
      responses: [
        { content: ['a ', 'b ', 'c'], chunkDelayMs: 60_000 },
        { content: 'partial answer', error: new Error('connection reset') },
      ],
    });
    const first = fake.chat({ chatCtx: conversation() });
    for await (const _chunk of first) break;
    expect(first.closed).toBe(true);

    const second = fake.chat({ chatCtx: conversation() });
    const chunks: llm.ChatChunk[] = [];
    await expect(
      (async () => {
        for await (const chunk of second) chunks.push(chunk);
      })(),
    ).rejects.toThrow('connection reset');
    expect(text(chunks)).toBe('partial answer');
  });

  it('fails loudly on an unexpected request or call', async () => {
    const fake = new FakeLLM({
      responses: [
        {
          content: 'hi',
          expect: ({ temperature }) => expect(temperature).toBe(0.2),
        },
      ],
    });
    await expect(readAll(fake.chat({ chatCtx: conversation(), temperature: 0.9 }))).rejects.toThrow(
      ScriptError,
    );
    expect(() => fake.chat({ chatCtx: conversation() })).toThrow(/unexpected chat\(\) call/);
  });

  it('rejects invalid options at the call', () => {
    const fake = new FakeLLM({ responses: [] });
    expect(() => fake.chat({ chatCtx: conversation(), temperature: 3 })).toThrow(/temperature/);
    expect(() => fake.chat({ chatCtx: conversation(), n: 0 })).toThrow(/n must be a positive/);
  });
});
