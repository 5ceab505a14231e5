import { APIConnectionError, APIStatusError, APITimeoutError, llm } from '@agents/core';
import { scaledMs } from '@agents/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LLM } from '../src/index.js';
import { collect, failureOf as failure, KEY, OpenAIStandIn } from './stand-in.js';

let openai: OpenAIStandIn;

beforeEach(async () => {
  openai = await OpenAIStandIn.start({ apiKey: KEY });
});
afterEach(async () => {
  await openai.close();
});

/**
 * Short waits, so retries are counted rather than waited for. The deadline is one an answered
 * request meets on a starved machine; tests of the deadline itself set their own.
 */
function model(connectOptions: { maxRetry?: number; timeoutMs?: number } = {}) {
  return new LLM({
    apiKey: KEY,
    baseURL: openai.url,
    connectOptions: {
      maxRetry: 2,
      retryIntervalMs: 10,
      timeoutMs: scaledMs(30_000),
      ...connectOptions,
    },
  });
}

const chatCtx = () => llm.ChatContext.from([{ role: 'user', content: 'Hello?' }]);
const attempts = () => openai.requestsTo('chat').length;

describe('openai.LLM errors', () => {
  it('fails for good on a wrong key, once, naming OPENAI_API_KEY', async () => {
    const wrongKey = new LLM({ apiKey: 'sk-wrong-0000', baseURL: openai.url });
    const { error } = await failure(wrongKey.chat({ chatCtx: chatCtx() }));
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as Error).message).toMatch(/OPENAI_API_KEY/);
    expect(attempts()).toBe(1);
  });

  it('treats 403 as permanent too', async () => {
    openai.injectFault('chat', { kind: 'status', status: 403 });
    const { error } = await failure(model().chat({ chatCtx: chatCtx() }));
    expect(error).toMatchObject({ status: 403, retryable: false });
    expect((error as Error).message).toMatch(/OPENAI_API_KEY/);
    expect(attempts()).toBe(1);
  });

  it('retries a 429 after the retry-after the service asked for', async () => {
    openai.injectFault('chat', { kind: 'status', status: 429, retryAfter: '0.3' });
    openai.scriptChat({ content: 'Done waiting.' });
    const started = performance.now();
    const chunks = await collect(model().chat({ chatCtx: chatCtx() }));
    // retryIntervalMs is 10 ms: only the header explains a wait this long.
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(chunks.map((c) => c.delta?.content ?? '').join('')).toBe('Done waiting.');
    expect(openai.requestsTo('chat').map((r) => r.status)).toEqual([429, 200]);
  });

  it('retries server errors up to maxRetry, then reports the last one', async () => {
    openai.injectFault('chat', { kind: 'status', status: 500 }, 3);
    const { error } = await failure(model({ maxRetry: 2 }).chat({ chatCtx: chatCtx() }));
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error).toMatchObject({ status: 500, retryable: true });
    expect(attempts()).toBe(3);
  });

  it('gives up on a first token slower than timeoutMs, closing each attempt', async () => {
    // Each attempt's deadline must let its request reach the stand-in (which counts it) on a
    // starved machine; the stand-in holds the first token far longer, until the client leaves.
    openai.injectFault('chat', { kind: 'slow', firstChunkDelayMs: scaledMs(60_000) }, 2);
    const { error } = await failure(
      model({ maxRetry: 1, timeoutMs: scaledMs(2_000) }).chat({ chatCtx: chatCtx() }),
    );
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).retryable).toBe(true);
    expect(attempts()).toBe(2);
    const outcomes = await Promise.all(openai.requests.map((r) => openai.ended(r)));
    expect(outcomes).toEqual(['client_closed', 'client_closed']);
  });

  it('waits for a slow first token within timeoutMs, and measures it', async () => {
    openai.injectFault('chat', { kind: 'slow', firstChunkDelayMs: 200 });
    const chat = model();
    const ttft: number[] = [];
    chat.on('metrics_collected', (m) => ttft.push(m.ttftMs));
    await collect(chat.chat({ chatCtx: chatCtx() }));
    expect(ttft[0]).toBeGreaterThanOrEqual(190);
    expect(attempts()).toBe(1);
  });

  it('reports a cut after output started as a retryable connection error, without retrying', async () => {
    openai.scriptChat({ content: ['Once ', 'upon ', 'a ', 'time.'] });
    // The role chunk, then two pieces of text, then the connection drops.
    openai.injectFault('chat', { kind: 'cut', afterChunks: 3 });
    const { error, items: chunks } = await failure(model().chat({ chatCtx: chatCtx() }));
    expect(chunks.map((c) => c.delta?.content)).toEqual(['Once ', 'upon ']);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIConnectionError).retryable).toBe(true);
    expect(attempts()).toBe(1);
  });

  it('retries a cut that came before anything reached the consumer', async () => {
    openai.scriptChat({ content: 'lost' }, { content: 'Second try.' });
    // Only the role chunk, which carries nothing for the consumer.
    openai.injectFault('chat', { kind: 'cut', afterChunks: 1 });
    const chunks = await collect(model().chat({ chatCtx: chatCtx() }));
    expect(chunks.map((c) => c.delta?.content ?? '').join('')).toBe('Second try.');
    expect(attempts()).toBe(2);
  });

  it('fails at construction without a key, before any request', () => {
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      expect(() => new LLM({ baseURL: openai.url })).toThrow(/OPENAI_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
    expect(openai.requests).toHaveLength(0);
  });
});
