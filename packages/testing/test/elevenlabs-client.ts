import { afterEach, beforeEach, expect } from 'vitest';
import WebSocket from 'ws';
import { ElevenLabsStandIn, type ElevenLabsStandInOptions } from '../src/elevenlabs/index.js';
import { scaledMs } from '../src/time.js';

/** LiveKit's plugin's default query (providers-wire §5.1), its voice and the multi-context path. */
export const LIVEKIT_QUERY =
  'model_id=eleven_turbo_v2_5&output_format=pcm_22050&enable_ssml_parsing=false' +
  '&enable_logging=true&inactivity_timeout=180&apply_text_normalization=auto' +
  '&sync_alignment=true&auto_mode=true';
export const LIVEKIT_VOICE = 'bIHbv24MWmeRgasZH58o';
export const KEY = 'xi-standin-key';

export interface ServerMessage {
  audio?: string | null;
  isFinal?: boolean | null;
  contextId?: string;
  normalizedAlignment?: Alignment;
  alignment?: Alignment;
  message?: string;
  error?: string;
  code?: number;
  context_id?: string;
}

export interface Alignment {
  chars: string[];
  charStartTimesMs: number[];
  charDurationsMs: number[];
}

/**
 * A bare `ws` client that records what the server sends, the way a test
 * reads it: wait for a message matching a predicate, or for the close.
 */
export class RawClient {
  readonly messages: ServerMessage[] = [];
  /** Text frames that were not JSON. */
  readonly garbage: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #listeners = new Set<() => void>();

  constructor(
    readonly ws: WebSocket,
    readonly sampleRate = 22_050,
  ) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          reject(
            Object.assign(new Error(`refused: ${res.statusCode}`), {
              status: res.statusCode,
              body: Buffer.concat(chunks).toString(),
            }),
          ),
        );
      });
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#notify();
      });
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      } catch {
        this.garbage.push(data.toString());
      }
      this.#notify();
    });
  }

  static async connect(
    url: string,
    headers: Record<string, string> = {},
    sampleRate = 22_050,
  ): Promise<RawClient> {
    const client = new RawClient(new WebSocket(url, { headers }), sampleRate);
    await client.opened;
    return client;
  }

  send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Resolves with the first message (already received or to come) that `match` accepts. */
  waitFor(
    match: (m: ServerMessage) => boolean,
    what = 'a matching message',
  ): Promise<ServerMessage> {
    return this.until(() => this.messages.find(match), what);
  }

  /** Resolves once `check` returns something, re-checked on each message and on close. */
  until<T>(check: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined || value === false) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const deadline = scaledMs(timeoutMs);
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no ${what} within ${deadline} ms; got ${this.describe()}`));
      }, deadline);
      const cleanup = () => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      const listener = () => void attempt();
      if (attempt()) return;
      this.#listeners.add(listener);
    });
  }

  /** The audio messages of one context (or all, for stream-input). */
  audioOf(contextId?: string): ServerMessage[] {
    return this.messages.filter(
      (m) => typeof m.audio === 'string' && (contextId === undefined || m.contextId === contextId),
    );
  }

  finalsOf(contextId?: string): ServerMessage[] {
    return this.messages.filter(
      (m) => m.isFinal === true && (contextId === undefined || m.contextId === contextId),
    );
  }

  /** The text spoken so far in a context, from the alignment of its audio. */
  spokenText(contextId?: string): string {
    return this.audioOf(contextId)
      .map((m) => m.normalizedAlignment?.chars.join('') ?? '')
      .join('');
  }

  describe(): string {
    return JSON.stringify(
      this.messages.map((m) => (m.audio ? { ...m, audio: `<${m.audio.length} b64>` } : m)),
    ).slice(0, 2000);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** Samples in one audio message. */
export function samplesOf(message: ServerMessage): number {
  return Buffer.from(message.audio ?? '', 'base64').length / 2;
}

/**
 * Checks an audio message the way a client relies on it: even byte count,
 * three alignment arrays of one length, every character's span inside the
 * message's own audio (times per message, the stand-in's default).
 */
export function expectConsistentChunk(message: ServerMessage, sampleRate: number): void {
  const bytes = Buffer.from(message.audio ?? '', 'base64');
  expect(bytes.length % 2).toBe(0);
  expect(bytes.length).toBeGreaterThan(0);
  const audioMs = (bytes.length / 2 / sampleRate) * 1000;
  for (const alignment of [message.normalizedAlignment, message.alignment]) {
    expect(alignment).toBeDefined();
    const { chars, charStartTimesMs, charDurationsMs } = alignment as Alignment;
    expect(charStartTimesMs).toHaveLength(chars.length);
    expect(charDurationsMs).toHaveLength(chars.length);
    let previousEnd = 0;
    chars.forEach((_, i) => {
      const start = charStartTimesMs[i] as number;
      const end = start + (charDurationsMs[i] as number);
      expect(start).toBeGreaterThanOrEqual(previousEnd);
      expect(end).toBeLessThanOrEqual(audioMs);
      previousEnd = end;
    });
    // The characters fill the message's audio, to the millisecond.
    expect(audioMs - previousEnd).toBeLessThan(1);
  }
}

/**
 * A fresh stand-in for each test of the calling file; after the test it is
 * closed, and every socket `open` made is terminated.
 */
export function standInPerTest() {
  let current: ElevenLabsStandIn | undefined;
  const clients: RawClient[] = [];
  beforeEach(async () => {
    current = await ElevenLabsStandIn.start({ apiKey: KEY });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.ws.terminate();
    await current?.close();
  });
  return {
    get el(): ElevenLabsStandIn {
      if (!current) throw new Error('the stand-in runs only inside a test');
      return current;
    },
    /** Replaces this test's stand-in with one started with `options`. */
    async restart(options: Omit<ElevenLabsStandInOptions, 'apiKey'>): Promise<void> {
      await current?.close();
      current = await ElevenLabsStandIn.start({ apiKey: KEY, ...options });
    },
    /** Dials the stand-in the way LiveKit's plugin does (providers-wire §5.1), with baseURL `${el.url}/v1`. */
    async open({
      kind = 'multi-stream-input',
      query = LIVEKIT_QUERY,
      prefix = '/v1',
      sampleRate = 22_050,
    }: {
      kind?: 'multi-stream-input' | 'stream-input';
      query?: string;
      prefix?: string;
      sampleRate?: number;
    } = {}): Promise<RawClient> {
      const url = `${this.el.wsUrl}${prefix}/text-to-speech/${LIVEKIT_VOICE}/${kind}?${query}`;
      const client = await RawClient.connect(url, { 'xi-api-key': KEY }, sampleRate);
      clients.push(client);
      return client;
    },
  };
}
