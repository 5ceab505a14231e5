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

function chat(signal?: AbortSignal): Promise<Response> {
  return fetch(`${openai.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    }),
    signal,
  });
}

describe('OpenAIStandIn faults', () => {
  it('answers a status fault with an OpenAI error body, keeping the scripted reply for later', async () => {
    openai.scriptChat({ content: 'After the wait.' });
    openai.injectFault('chat', { kind: 'status', status: 429, retryAfter: '2' });
    const limited = await chat();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.json()).toMatchObject({
      error: { type: 'requests', code: 'rate_limit_exceeded' },
    });
    const ok = await chat();
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('"wait."');
    expect(openai.requestsTo('chat').map((r) => r.status)).toEqual([429, 200]);
    expect(openai.requests[0]!.fault).toEqual({ kind: 'status', status: 429, retryAfter: '2' });
    openai.assertScriptDone();
  });

  it('applies a fault as many times as asked', async () => {
    openai.injectFault('chat', { kind: 'status', status: 500 }, 2);
    expect((await chat()).status).toBe(500);
    expect((await chat()).status).toBe(500);
    expect((await chat()).status).toBe(200);
  });

  it('sends headers at once but holds a slow first token back', async () => {
    openai.injectFault('chat', { kind: 'slow', firstChunkDelayMs: 150 });
    const started = performance.now();
    const response = await chat();
    const headersAfter = performance.now() - started;
    const reader = response.body!.getReader();
    await reader.read();
    const firstChunkAfter = performance.now() - started;
    expect(firstChunkAfter - headersAfter).toBeGreaterThanOrEqual(100);
    expect(firstChunkAfter).toBeGreaterThanOrEqual(145);
    await reader.cancel();
  });

  it('cuts the connection mid-stream after the chunks asked for', async () => {
    openai.injectFault('chat', { kind: 'cut', afterChunks: 2 });
    const response = await chat();
    expect(response.status).toBe(200);
    const received: string[] = [];
    const reading = (async () => {
      for await (const chunk of response.body!) received.push(Buffer.from(chunk).toString());
    })();
    await expect(reading).rejects.toThrow(/terminated/);
    expect(received.join('')).not.toContain('[DONE]');
    expect(received.join('').split('\n\n').filter(Boolean)).toHaveLength(2);
    expect(await openai.ended(openai.requests[0]!)).toBe('cut');
  });

  it('sees the client close the connection when it aborts mid-stream', async () => {
    openai.scriptChat({ content: 'one two three four five six', chunkDelayMs: 200 });
    const abort = new AbortController();
    const response = await chat(abort.signal);
    const request = await openai.waitForRequest((r) => r.endpoint === 'chat');
    expect(request.outcome).toBe('pending');
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    expect(await openai.ended(request)).toBe('client_closed');
    expect(request.outcome).toBe('client_closed');
  });

  it('waits for a request that has not arrived yet', async () => {
    const waiting = openai.waitForRequest((r) => r.endpoint === 'speech');
    await chat();
    const speech = fetch(`${openai.url}/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: 'Hi', response_format: 'pcm' }),
    });
    expect((await waiting).seq).toBe(2);
    expect((await speech).status).toBe(200);
  });

  it('reports unused script steps and faults', async () => {
    openai.scriptSpeech({ audioMs: 100 });
    openai.injectFault('transcriptions', { kind: 'cut', afterChunks: 0 });
    expect(() => openai.assertScriptDone()).toThrow(
      /1 speech replies, a cut fault on transcriptions/,
    );
  });
});
