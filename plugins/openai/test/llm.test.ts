import { llm, type metrics } from '@agents/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LLM } from '../src/index.js';
import { collect, KEY, OpenAIStandIn } from './stand-in.js';

let openai: OpenAIStandIn;
let model: LLM;

beforeEach(async () => {
  openai = await OpenAIStandIn.start({ apiKey: KEY });
  model = new LLM({ apiKey: KEY, baseURL: openai.url, model: 'gpt-4o-mini' });
});
afterEach(async () => {
  await openai.close();
});

const question = () =>
  llm.ChatContext.from([
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'What is the weather and the time in Paris?' },
  ]);

/** The JSON body of the n-th chat request the stand-in received. */
const chatRequest = (n: number) =>
  openai.requestsTo('chat')[n]!.body as { messages: unknown[]; [key: string]: unknown };

const text = (chunks: llm.ChatChunk[]) => chunks.map((c) => c.delta?.content ?? '').join('');

function weatherTools(log: string[] = []) {
  return {
    getWeather: llm.tool({
      description: 'Current weather in a city',
      parameters: z.object({ city: z.string().describe('City name') }),
      execute: async ({ city }) => {
        log.push(`weather ${city}`);
        return { city, tempC: 21 };
      },
    }),
    getTime: llm.tool({
      description: 'Local time in a time zone',
      parameters: z.object({ zone: z.string() }),
      execute: ({ zone }) => {
        log.push(`time ${zone}`);
        return `12:00 in ${zone}`;
      },
    }),
  };
}

describe('openai.LLM', () => {
  it('streams content as it arrives, then usage, and reports metrics', async () => {
    openai.scriptChat({
      content: 'It is sunny in Paris today.',
      usage: { promptTokens: 25, completionTokens: 7 },
    });
    const seen: metrics.LLMMetrics[] = [];
    model.on('metrics_collected', (m) => seen.push(m));

    const chunks = await collect(model.chat({ chatCtx: question() }));

    const pieces = chunks.filter((c) => c.delta?.content).map((c) => c.delta!.content);
    expect(pieces).toEqual(['It ', 'is ', 'sunny ', 'in ', 'Paris ', 'today.']);
    expect(chunks.every((c) => c.requestId === 'chatcmpl-standin1')).toBe(true);
    expect(chunks.at(-1)!.usage).toEqual({
      promptTokens: 25,
      completionTokens: 7,
      totalTokens: 32,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: 'llm',
      label: 'openai.LLM',
      requestId: 'chatcmpl-standin1',
      promptTokens: 25,
      completionTokens: 7,
      cancelled: false,
    });
    expect(seen[0]!.ttftMs).toBeGreaterThanOrEqual(0);

    expect(chatRequest(0)).toEqual({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'What is the weather and the time in Paris?' },
      ],
    });
    openai.assertScriptDone();
  });

  it.each([
    ['one after another, as OpenAI sends them', false],
    ['interleaved', true],
  ])(
    'assembles two parallel tool calls streamed %s, runs them and sends the results back',
    async (_, interleave) => {
      openai.scriptChat(
        {
          content: 'Let me check.',
          toolCalls: [
            { name: 'getWeather', arguments: { city: 'Paris' } },
            { name: 'getTime', arguments: { zone: 'Europe/Paris' } },
          ],
          argumentFragments: 4,
          interleaveToolCalls: interleave,
        },
        { content: 'It is 21 degrees and noon in Paris.' },
      );
      const ran: string[] = [];
      const fncCtx = weatherTools(ran);
      const chatCtx = question();

      const stream = model.chat({ chatCtx, fncCtx });
      const chunks = await collect(stream);
      // Emitted once, whole: never fragments.
      expect(chunks.filter((c) => c.delta?.toolCalls)).toHaveLength(1);
      expect(stream.functionCalls).toEqual([
        { id: 'call_1_1', name: 'getWeather', arguments: '{"city":"Paris"}' },
        { id: 'call_1_2', name: 'getTime', arguments: '{"zone":"Europe/Paris"}' },
      ]);

      const results = await stream.executeFunctions();
      expect(results.map((r) => r.status)).toEqual(['ok', 'ok']);
      expect(ran.sort()).toEqual(['time Europe/Paris', 'weather Paris']);
      chatCtx.appendToolCalls(stream.functionCalls, text(chunks)).appendToolResults(results);

      const followUp = await collect(model.chat({ chatCtx, fncCtx }));
      expect(text(followUp)).toBe('It is 21 degrees and noon in Paris.');

      expect(chatRequest(0).tools).toEqual([
        {
          type: 'function',
          function: {
            name: 'getWeather',
            description: 'Current weather in a city',
            parameters: expect.objectContaining({
              type: 'object',
              properties: { city: { type: 'string', description: 'City name' } },
              required: ['city'],
            }),
          },
        },
        {
          type: 'function',
          function: expect.objectContaining({ name: 'getTime' }),
        },
      ]);
      expect(chatRequest(1).messages.slice(2)).toEqual([
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            {
              id: 'call_1_1',
              type: 'function',
              function: { name: 'getWeather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_1_2',
              type: 'function',
              function: { name: 'getTime', arguments: '{"zone":"Europe/Paris"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1_1', content: '{"city":"Paris","tempC":21}' },
        { role: 'tool', tool_call_id: 'call_1_2', content: '12:00 in Europe/Paris' },
      ]);
      openai.assertScriptDone();
    },
  );

  it('returns invalid tool arguments to the model as error results', async () => {
    openai.scriptChat(
      {
        toolCalls: [
          { name: 'getWeather', arguments: { city: 42 } },
          { name: 'getTime', arguments: '{"zone": "Europe/Par' },
        ],
      },
      { content: 'Sorry, which city did you mean?' },
    );
    const ran: string[] = [];
    const fncCtx = weatherTools(ran);
    const chatCtx = question();
    const stream = model.chat({ chatCtx, fncCtx });
    await collect(stream);
    const results = await stream.executeFunctions();
    expect(results.map((r) => r.status)).toEqual(['invalid_arguments', 'invalid_arguments']);
    expect(ran).toEqual([]);
    chatCtx.appendToolCalls(stream.functionCalls).appendToolResults(results);

    expect(text(await collect(model.chat({ chatCtx, fncCtx })))).toMatch(/which city/);
    const [assistant, weather, time] = chatRequest(1).messages.slice(2) as Record<
      string,
      unknown
    >[];
    // A reply made only of calls has no text: content is null, not ''.
    expect(assistant).toMatchObject({ role: 'assistant', content: null });
    expect(weather).toMatchObject({ role: 'tool', tool_call_id: 'call_1_1' });
    expect(weather!.content).toMatch(/^Error: invalid arguments for tool "getWeather"[\s\S]*city/);
    expect(time!.content).toMatch(/^Error: invalid arguments for tool "getTime".*not valid JSON/);
  });

  it.each([
    ['the chat signal aborts', 'signal'],
    ['the consumer breaks out of the loop', 'break'],
  ])('closes the HTTP request mid-stream when %s', async (_, how) => {
    openai.scriptChat({ content: 'one two three four five six seven eight', chunkDelayMs: 100 });
    const seen: metrics.LLMMetrics[] = [];
    model.on('metrics_collected', (m) => seen.push(m));
    const abort = new AbortController();
    const stream = model.chat({ chatCtx: question(), signal: abort.signal });
    for await (const chunk of stream) {
      expect(chunk.delta?.content).toBe('one ');
      if (how === 'break') break;
      abort.abort();
    }
    expect(await openai.ended(openai.requests[0]!)).toBe('client_closed');
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(seen[0]!.cancelled).toBe(true);
  });

  it('sends the chat options and the model defaults in OpenAI form', async () => {
    const tuned = new LLM({
      apiKey: KEY,
      baseURL: openai.url,
      temperature: 0.2,
      parallelToolCalls: false,
      toolChoice: 'required',
      user: 'user-1234',
    });
    await collect(tuned.chat({ chatCtx: question(), fncCtx: weatherTools() }));
    await collect(
      tuned.chat({
        chatCtx: question(),
        fncCtx: weatherTools(),
        temperature: 0.9,
        toolChoice: { name: 'getTime' },
      }),
    );
    // Tool options need tools: without any they are left out, as the service demands.
    await collect(tuned.chat({ chatCtx: question() }));

    expect(chatRequest(0)).toMatchObject({
      model: 'gpt-4o',
      temperature: 0.2,
      parallel_tool_calls: false,
      tool_choice: 'required',
      user: 'user-1234',
    });
    expect(chatRequest(1)).toMatchObject({
      temperature: 0.9,
      tool_choice: { type: 'function', function: { name: 'getTime' } },
    });
    expect(chatRequest(2)).not.toHaveProperty('tool_choice');
    expect(chatRequest(2)).not.toHaveProperty('parallel_tool_calls');
  });

  it('refuses options it cannot honour when chat() is called', () => {
    expect(() => model.chat({ chatCtx: question(), n: 2 })).toThrow(/n must be 1/);
    const forced = new LLM({ apiKey: KEY, baseURL: openai.url, toolChoice: { name: 'nope' } });
    expect(() => forced.chat({ chatCtx: question(), fncCtx: weatherTools() })).toThrow(/"nope"/);
    expect(() => new LLM({ apiKey: KEY, temperature: 3 })).toThrow(/temperature/);
    expect(openai.requests).toHaveLength(0);
  });
});
