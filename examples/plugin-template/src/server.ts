// The "Tone" speech service: a toy TTS server the package ships, so that the
// plugin, its tests and the conformance kit have a real service to talk to.
// It speaks each character of the text as a short tone.
//
// Protocol (version 1):
//   POST /v1/speech
//     Authorization: Bearer <api key>
//     Content-Type: application/json
//     {"text": "<what to say>"}            at most MAX_BODY_BYTES of JSON
//   200  Content-Type: audio/pcm;rate=16000;channels=1
//        16-bit little-endian mono PCM, MS_PER_CHARACTER per character of text
//        (a tone per letter, silence for whitespace), streamed as it is made.
//   400 bad JSON or empty text, 401 wrong key, 404 other paths, 413 body too
//   large: a JSON body {"error": "<why>"}. Any status can also be injected
//   with failNext() to test a client's error handling.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SAMPLE_RATE = 16_000;
export const MS_PER_CHARACTER = 60;
export const MAX_BODY_BYTES = 1024 * 1024;
const SAMPLES_PER_CHARACTER = (SAMPLE_RATE * MS_PER_CHARACTER) / 1000;

export interface ToneServerOptions {
  /** The key clients must send. */
  apiKey: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/** A running Tone service and the controls tests use (the conformance kit's ServiceControl). */
export interface ToneServer {
  /** Base URL to give the plugin, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Speech requests whose response has not ended yet. */
  openConnections(): number;
  /** Speech requests received so far. */
  requestCount(): number;
  /** Destroys every open socket at once, as a network failure does. */
  dropConnections(): void;
  /** The next `times` (default 1) requests are answered with `status` instead of audio. */
  failNext(status: number, times?: number): void;
  close(): Promise<void>;
}

export async function startToneServer(options: ToneServerOptions): Promise<ToneServer> {
  let open = 0;
  let requests = 0;
  const injected: number[] = [];
  const server = createServer((req, res) => {
    requests += 1;
    open += 1;
    res.once('close', () => {
      open -= 1;
    });
    handle(req, res).catch((error: unknown) => res.destroy(error as Error));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v1/speech') {
      return reply(res, 404, 'not found: POST /v1/speech');
    }
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return reply(res, 401, 'invalid api key');
    }
    const status = injected.shift();
    if (status !== undefined) return reply(res, status, `injected failure ${status}`);
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, `body larger than ${MAX_BODY_BYTES} bytes`);
    let text: unknown;
    try {
      text = (JSON.parse(body) as { text?: unknown }).text;
    } catch {
      return reply(res, 400, 'body is not JSON');
    }
    if (typeof text !== 'string' || text.trim() === '') {
      return reply(res, 400, 'text must be a non-empty string');
    }
    res.writeHead(200, { 'content-type': `audio/pcm;rate=${SAMPLE_RATE};channels=1` });
    for (const character of text) {
      if (res.destroyed) return;
      // Waiting for 'drain' keeps the server's memory flat when the client reads slowly.
      if (!res.write(tone(character))) await drained(res);
    }
    res.end();
  }

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    openConnections: () => open,
    requestCount: () => requests,
    dropConnections: () => server.closeAllConnections(),
    failNext: (status, times = 1) => {
      for (let i = 0; i < times; i++) injected.push(status);
    },
    close: async () => {
      server.closeAllConnections();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves when `res` can take more data, or is gone; leaves no listener behind. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The body as text, or undefined when it is larger than MAX_BODY_BYTES. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, error: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error }));
}

/** One character's audio: a tone whose pitch depends on the character, or silence. */
function tone(character: string): Buffer {
  const pcm = Buffer.alloc(SAMPLES_PER_CHARACTER * 2);
  if (character.trim() === '') return pcm;
  const hz = 200 + ((character.codePointAt(0) ?? 0) % 40) * 15;
  for (let i = 0; i < SAMPLES_PER_CHARACTER; i++) {
    // A short fade in and out, so characters do not click.
    const edge = Math.min(i, SAMPLES_PER_CHARACTER - 1 - i, 80) / 80;
    const sample = 0.3 * edge * Math.sin((2 * Math.PI * hz * i) / SAMPLE_RATE);
    pcm.writeInt16LE(Math.round(sample * 32767), i * 2);
  }
  return pcm;
}
