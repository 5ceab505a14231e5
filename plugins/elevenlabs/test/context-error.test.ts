import type { AddressInfo } from 'node:net';
import { APIConnectionError, APIError, tts } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { TTS } from '../src/index.js';
import { readSegments } from './helpers.js';

/**
 * A server that reports an error for one context and keeps the socket open
 * (the service may close it too; the stand-in always does, which hides this
 * case): the error must fail that context's stream and no other.
 */
async function faultyServer(failText: string) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    const texts = new Map<string, string>();
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Record<string, unknown>;
      if (m.close_socket) {
        ws.close(1000);
        return;
      }
      const id = m.context_id as string;
      if (typeof m.text === 'string') texts.set(id, (texts.get(id) ?? '') + m.text);
      if (texts.get(id)?.includes(failText) && !m.close_context) {
        ws.send(
          JSON.stringify({ message: 'boom', error: 'invalid_request', code: 1008, context_id: id }),
        );
        texts.set(id, '');
        return;
      }
      if (m.close_context && texts.get(id)) {
        const chars = [...'ok '];
        ws.send(
          JSON.stringify({
            audio: Buffer.alloc(480 * 3).toString('base64'),
            normalizedAlignment: {
              chars,
              charStartTimesMs: [0, 10, 20],
              charDurationsMs: [10, 10, 10],
            },
            alignment: { chars, charStartTimesMs: [0, 10, 20], charDurationsMs: [10, 10, 10] },
            contextId: id,
          }),
        );
        ws.send(JSON.stringify({ isFinal: true, contextId: id }));
      }
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}

describe('an error the service reports for one context', () => {
  it('fails that stream only; the other on the same connection finishes', async () => {
    const server = await faultyServer('poison');
    const model = new TTS({ apiKey: 'k', baseURL: server.url });
    try {
      const good = model.stream();
      const bad = model.stream();
      good.pushText('fine ');
      bad.pushText('poison ');
      bad.endInput();
      const error = await readSegments(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIError);
      expect((error as Error).message).toMatch(/boom \(invalid_request\)/);
      expect((error as APIError).retryable).toBe(false);
      good.endInput();
      const [segment] = await readSegments(good);
      expect(segment!.words).toEqual([{ text: 'ok', startTime: 0, endTime: 0.02 }]);
      expect(tts.SynthesisEventType.FINISHED).toBe('finished');
    } finally {
      await model.close();
      await server.close();
    }
  });
});

describe('a drop after audio that came without the alignment over the text as sent', () => {
  it('fails the stream with a retryable APIConnectionError rather than repeat or skip words', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as Record<string, unknown>;
        if (m.close_socket) return ws.close(1000);
        if (!m.close_context) return;
        // Audio, but no `alignment`: where it stopped in the text is unknown. Then cut.
        ws.send(
          JSON.stringify({ audio: Buffer.alloc(4800).toString('base64'), contextId: m.context_id }),
        );
        setTimeout(() => ws.terminate(), 20);
      });
    });
    const { port } = wss.address() as AddressInfo;
    const model = new TTS({
      apiKey: 'k',
      baseURL: `http://127.0.0.1:${port}/v1`,
      connectOptions: { retryIntervalMs: 10 },
    });
    try {
      const stream = model.stream();
      stream.pushText('Some words to say.');
      stream.endInput();
      const error = await readSegments(stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIConnectionError);
      expect((error as APIError).retryable).toBe(true);
      expect((error as Error).message).toMatch(/cannot resume/);
    } finally {
      await model.close();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
