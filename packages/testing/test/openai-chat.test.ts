import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIStandIn } from '../src/openai/index.js';

const KEY = 'sk-standin-test';
let openai: OpenAIStandIn;

beforeEach(async () => {
  openai = await OpenAIStandIn.start({ apiKey: KEY });
});
afterEach(async () => {
  await openai.close();
});

function post(path: string, body: unknown, key = KEY): Promise<Response> {
  return fetch(`${openai.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The JSON payloads of an SSE body, with `[DONE]` kept as a string. */
async function sseEvents(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      const data = event.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

type Chunk = {
  id: string;
  object: string;
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: unknown;
};

const user = (content: string) => ({ role: 'user', content });
const chatBody = (extra: object = {}) => ({
  model: 'gpt-4o',
  messages: [user('What is the weather in Paris?')],
  stream: true,
  stream_options: { include_usage: true },
  ...extra,
});

describe('OpenAIStandIn chat completions', () => {
  it('streams scripted content as SSE chunks, usage last, then [DONE]', async () => {
    openai.scriptChat({
      content: ['Hel', 'lo ', 'there.'],
      usage: { promptTokens: 12, completionTokens: 3 },
    });
    const response = await post('/chat/completions', chatBody());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const events = await sseEvents(response);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as Chunk[];
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Hello there.');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    // With include_usage: usage is null on every chunk but the last, which has no choices.
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
    expect(openai.requests[0]).toMatchObject({
      endpoint: 'chat',
      authorized: true,
      outcome: 'completed',
    });
    openai.assertScriptDone();
  });

  it('leaves usage out unless asked for', async () => {
    const response = await post('/chat/completions', chatBody({ stream_options: undefined }));
    const chunks = (await sseEvents(response)).slice(0, -1) as Chunk[];
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  it('streams tool calls as an id-and-name delta followed by argument fragments', async () => {
    openai.scriptChat({
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris' } },
        { name: 'get_time', arguments: '{"zone":"Europe/Paris"}', id: 'call_t' },
      ],
      argumentFragments: 4,
    });
    const tools = [tool('get_weather'), tool('get_time')];
    const chunks = (await sseEvents(await post('/chat/completions', chatBody({ tools })))).slice(
      0,
      -1,
    ) as Chunk[];
    const deltas = chunks.flatMap(
      (c) => (c.choices[0]?.delta.tool_calls ?? []) as Record<string, unknown>[],
    );
    // OpenAI's order: all of call 0, then all of call 1.
    expect(deltas.map((d) => d.index)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(deltas[0]).toEqual({
      index: 0,
      id: 'call_1_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    expect(deltas[5]).toMatchObject({ id: 'call_t', function: { name: 'get_time' } });
    expect(deltas.slice(1, 5).every((d) => !('id' in d))).toBe(true);
    const joined = (index: number) =>
      deltas
        .filter((d) => d.index === index)
        .map((d) => (d.function as { arguments: string }).arguments)
        .join('');
    expect(joined(0)).toBe('{"city":"Paris"}');
    expect(joined(1)).toBe('{"zone":"Europe/Paris"}');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe(
      'tool_calls',
    );
  });

  it('interleaves the fragments of parallel calls when asked', async () => {
    openai.scriptChat({
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris' } },
        { name: 'get_time', arguments: { zone: 'UTC' } },
      ],
      argumentFragments: 2,
      interleaveToolCalls: true,
    });
    const tools = [tool('get_weather'), tool('get_time')];
    const chunks = (await sseEvents(
      await post('/chat/completions', chatBody({ tools })),
    )) as Chunk[];
    const order = chunks
      .slice(0, -1)
      .flatMap((c) => (c.choices[0]?.delta.tool_calls ?? []) as { index: number }[])
      .map((d) => d.index);
    expect(order).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('answers without streaming as one chat.completion', async () => {
    openai.scriptChat({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });
    const response = await post('/chat/completions', {
      model: 'gpt-4o-mini',
      messages: [user('Weather in Oslo?')],
      tools: [tool('get_weather')],
    });
    expect(await response.json()).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [
        {
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              { type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            ],
          },
        },
      ],
      usage: { total_tokens: expect.any(Number) },
    });
  });

  it('answers from the conversation when there is no script', async () => {
    const response = await post('/chat/completions', {
      model: 'gpt-4o',
      messages: [{ role: 'system', content: 'Be brief.' }, user('Good morning!')],
    });
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toContain('Good morning!');
  });

  it('accepts a tool round trip and refuses tool messages that answer no call', async () => {
    const call = {
      id: 'call_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{}' },
    };
    const roundTrip = [
      user('Weather?'),
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ];
    const ok = await post('/chat/completions', {
      model: 'gpt-4o',
      messages: roundTrip,
      tools: [tool('get_weather')],
    });
    expect(ok.status).toBe(200);
    expect(JSON.stringify(await ok.json())).toContain('The tool answered: sunny');

    const orphan = await post('/chat/completions', {
      model: 'gpt-4o',
      messages: [user('Weather?'), { role: 'tool', tool_call_id: 'call_9', content: 'sunny' }],
    });
    expect(orphan.status).toBe(400);
    expect(await orphan.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringMatching(/role 'tool'/) },
    });

    const unanswered = await post('/chat/completions', {
      model: 'gpt-4o',
      messages: roundTrip.slice(0, 2),
    });
    expect(unanswered.status).toBe(400);
    expect(JSON.stringify(await unanswered.json())).toContain('call_1');
  });

  it.each([
    [
      'a non-standard schema type',
      { tools: [tool('f', { type: 'object', properties: { n: { type: 'int' } } })] },
      /"int" is not valid/,
    ],
    ['tool_choice without tools', { tool_choice: 'auto' }, /only allowed when 'tools'/],
    ['parallel_tool_calls without tools', { parallel_tool_calls: true }, /only allowed/],
    ['stream_options without stream', { stream: false }, /only allowed when 'stream'/],
    ['no model', { model: '' }, /model/],
    ['no messages', { messages: [] }, /messages/],
  ])('rejects %s with 400, as the service does', async (_, extra, message) => {
    const response = await post('/chat/completions', chatBody(extra));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(message);
  });

  it('checks the Bearer key', async () => {
    const wrong = await post('/chat/completions', chatBody(), 'sk-wrong-key-1234');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    const none = await fetch(`${openai.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(openai.requests.map((r) => r.authorized)).toEqual([false, false]);
  });

  it('answers unknown paths with 404 and lists models', async () => {
    expect((await post('/completions/legacy', {})).status).toBe(404);
    const models = await fetch(`${openai.url}/models`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(((await models.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
  });
});

function tool(name: string, parameters: object = { type: 'object', properties: {} }) {
  return { type: 'function', function: { name, description: name, parameters } };
}
