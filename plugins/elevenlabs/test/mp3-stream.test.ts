import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { TTS } from '../src/index.js';
import { readSegments } from './helpers.js';

// Made with LAME by the codecs tests: 1.12 s of speech, 22.05 kHz mono.
const mp3 = readFileSync(
  new URL('../../../packages/core/test/fixtures/speech-hello-22khz-mono.mp3', import.meta.url),
);

describe('stream() with an MP3 encoding', () => {
  it('decodes audio messages cut anywhere in the MP3 into frames, with word timings', async () => {
    // The stand-in serves PCM only: this server answers a closed context with the MP3 in
    // pieces that cut MP3 frames in two, the alignment spread over the first pieces.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    let query: URLSearchParams | undefined;
    wss.on('connection', (ws, req) => {
      query = new URL(req.url ?? '/', 'http://x').searchParams;
      ws.on('message', (raw) => {
        const m = JSON.parse(raw.toString()) as Record<string, unknown>;
        if (m.close_socket) return ws.close(1000);
        if (!m.close_context) return;
        const pieces = Math.ceil(mp3.length / 1500);
        for (let i = 0; i < pieces; i++) {
          const alignment =
            i === 0
              ? {
                  chars: [...'Hello '],
                  charStartTimesMs: [0, 100, 200, 300, 400, 500],
                  charDurationsMs: [100, 100, 100, 100, 100, 100],
                }
              : undefined;
          ws.send(
            JSON.stringify({
              audio: mp3.subarray(i * 1500, (i + 1) * 1500).toString('base64'),
              normalizedAlignment: alignment,
              alignment,
              contextId: m.context_id,
            }),
          );
        }
        ws.send(JSON.stringify({ isFinal: true, contextId: m.context_id }));
      });
    });
    const { port } = wss.address() as AddressInfo;
    const model = new TTS({
      apiKey: 'k',
      baseURL: `http://127.0.0.1:${port}/v1`,
      encoding: 'mp3_22050_32',
    });
    try {
      const stream = model.stream();
      stream.pushText('Hello');
      stream.endInput();
      const [segment] = await readSegments(stream);
      expect(query?.get('output_format')).toBe('mp3_22050_32');
      expect(segment!.seconds).toBeCloseTo(1.12, 1);
      expect(segment!.words).toEqual([{ text: 'Hello', startTime: 0, endTime: 0.5 }]);
    } finally {
      await model.close();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
