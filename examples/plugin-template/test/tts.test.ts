import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIConnectionError, APIStatusError, APITimeoutError, type metrics } from '@agents/core';
import { scaledMs } from '@agents/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MS_PER_CHARACTER, startToneServer, type ToneServer } from '../src/server.js';
import { TTS, type TTSOptions } from '../src/tts.js';

const KEY = 'test-key';
let server: ToneServer;

beforeEach(async () => {
  server = await startToneServer({ apiKey: KEY });
});
afterEach(async () => {
  await server.close();
});

/** Fast retries, so the retry tests do not wait for core's default backoff. */
function tone(options: TTSOptions = {}): TTS {
  return new TTS({
    apiKey: KEY,
    baseURL: server.url,
    connectOptions: { retryIntervalMs: 1, timeoutMs: scaledMs(5000) },
    ...options,
  });
}

describe('tone.TTS', () => {
  it('speaks the text as 20 ms frames at 16 kHz, MS_PER_CHARACTER per character', async () => {
    const model = tone();
    const reported: metrics.TTSMetrics[] = [];
    model.on('metrics_collected', (m) => {
      if (m.type === 'tts') reported.push(m);
    });
    const frames = [];
    for await (const audio of model.synthesize('hello there')) frames.push(audio);

    const samples = frames.reduce((sum, a) => sum + a.frame.samplesPerChannel, 0);
    expect(samples).toBe((11 * MS_PER_CHARACTER * 16_000) / 1000);
    expect(frames.every((a) => a.frame.sampleRate === 16_000 && a.frame.channels === 1)).toBe(true);
    expect(frames.slice(0, -1).every((a) => a.frame.samplesPerChannel === 320)).toBe(true);
    expect(frames[0]!.deltaText).toBe('hello there');
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({
      label: 'tone.TTS',
      characters: 11,
      cancelled: false,
      streamed: false,
    });
    expect(reported[0]!.audioDurationMs).toBeCloseTo(11 * MS_PER_CHARACTER, 6);
    expect(reported[0]!.ttfbMs).toBeGreaterThanOrEqual(0);
  });

  it('needs a key, and says where to put it', () => {
    const saved = process.env.TONE_API_KEY;
    delete process.env.TONE_API_KEY;
    try {
      expect(() => new TTS({ baseURL: server.url })).toThrow(/TONE_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.TONE_API_KEY = saved;
    }
  });

  it('a wrong key fails at once with a permanent error naming TONE_API_KEY', async () => {
    const error = await tone({ apiKey: 'wrong' })
      .synthesize('hi')
      .collect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as Error).message).toMatch(/TONE_API_KEY/);
    expect(server.requestCount()).toBe(1);
  });

  it('retries a 503 before any audio, and the retry speaks', async () => {
    server.failNext(503);
    const frame = await tone().synthesize('ok').collect();
    expect(frame.samplesPerChannel).toBe((2 * MS_PER_CHARACTER * 16_000) / 1000);
    expect(server.requestCount()).toBe(2);
  });

  it('gives up after maxRetry retries with the last retryable error', async () => {
    server.failNext(503, 3);
    const error = await tone({ connectOptions: { maxRetry: 2, retryIntervalMs: 1 } })
      .synthesize('ok')
      .collect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(server.requestCount()).toBe(3);
  });

  it('does not retry a 400, and reports it as not retryable', async () => {
    server.failNext(400);
    const error = await tone()
      .synthesize('ok')
      .collect()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, retryable: false });
    expect(server.requestCount()).toBe(1);
  });

  it('an unreachable service is a retryable connection error, after the retries', async () => {
    const url = server.url;
    await server.close();
    const error = await tone({ baseURL: url, connectOptions: { maxRetry: 1, retryIntervalMs: 1 } })
      .synthesize('ok')
      .collect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('a drop after audio started fails the stream (no retry: it would repeat the audio)', async () => {
    const stream = tone().synthesize('x'.repeat(5000));
    const first = await stream.next();
    expect(first.done).toBe(false);
    server.dropConnections();
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error).toMatchObject({ retryable: true });
    expect(server.requestCount()).toBe(1);
  });

  it('break mid-stream ends the request on the server', async () => {
    for await (const _ of tone().synthesize('x'.repeat(5000))) {
      expect(server.openConnections()).toBe(1);
      break;
    }
    await vi.waitFor(() => expect(server.openConnections()).toBe(0), { timeout: scaledMs(5000) });
  });

  it('a service that goes silent times out with a retryable APITimeoutError', async () => {
    // Accepts requests and never answers.
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const { port } = silent.address() as AddressInfo;
      const error = await tone({
        baseURL: `http://127.0.0.1:${port}`,
        connectOptions: { maxRetry: 0, timeoutMs: 200 },
      })
        .synthesize('ok')
        .collect()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APITimeoutError);
      expect(error).toMatchObject({ retryable: true });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
