import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { log } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { type WebSocket, WebSocketServer } from 'ws';
import { scaledMs } from '../time.js';
import { pcmRateOf, ScriptedAudio, UnservedFormatError } from './audio.js';
import { ElevenLabsHttpError, handleSpeech, sendJson, VOICES } from './http.js';
import { TtsSession } from './session.js';
import {
  type ElevenLabsArmedFault,
  type ElevenLabsConnection,
  type ElevenLabsFault,
  type ElevenLabsFaultOptions,
  type ElevenLabsLatency,
  type ElevenLabsRequest,
  type ElevenLabsSocketKind,
  NO_LATENCY,
  REALISTIC_LATENCY,
} from './types.js';

export interface ElevenLabsStandInOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The only key accepted; without one, any non-empty key is. */
  apiKey?: string;
  /** Default 'none': audio as fast as it can go. */
  latency?: 'none' | 'realistic' | Partial<ElevenLabsLatency>;
  /** Simultaneous contexts per multi-stream-input socket. Default 5, as the service. */
  maxContexts?: number;
  /**
   * What a wrong `xi-api-key` header (or query `authorization`) gets on a
   * websocket. Unverified for the real service: third-party logs show a
   * 1008 close after the upgrade, so a client must handle that; a refused
   * handshake (HTTP 401 with the service's body) is the default here because
   * it is what every other endpoint does. A missing key always gets the
   * upgrade, since it may still come in the first message.
   */
  socketAuthFailure?: 'http-401' | 'close-1008';
  /**
   * Whether alignment times count from the start of each audio message
   * ('chunk', the default: the service's spec says so, pipecat relies on it)
   * or of the context's audio ('context', what LiveKit's plugin assumes).
   * Unverified for the real service; a robust client works with both.
   */
  alignmentTimes?: 'chunk' | 'context';
  /**
   * Keep the audio of every message sent in `connection.sent` (the default).
   * False logs its length only: a long run would otherwise hold all its audio.
   */
  logAudio?: boolean;
}

const PATHS = {
  socket: /^(?:\/v1)?\/text-to-speech\/([^/]+)\/(multi-stream-input|stream-input)$/,
  speech: /^(?:\/v1)?\/text-to-speech\/([^/]+?)(\/stream)?$/,
  voices: /^(?:\/v1)?\/voices$/,
  voice: /^(?:\/v1)?\/voices\/([^/]+)$/,
};

const DEFAULT_INACTIVITY_S = 20;

/**
 * The ElevenLabs text-to-speech API, well enough for real clients (LiveKit's
 * plugin, raw `ws`, `fetch`) to work against it unchanged: the
 * `multi-stream-input` and `stream-input` websockets and the HTTP speech and
 * voices endpoints, with and without the `/v1` prefix, `xi-api-key` auth,
 * PCM audio with character alignment, `isFinal` per closed context, the idle
 * timeout and the context limit. Audio is registered per text, or synthetic:
 * MS_PER_CHARACTER (65 ms) of a soft vowel per character.
 *
 *     const el = await ElevenLabsStandIn.start({ apiKey: 'xi-test' });
 *     el.registerAudio('Hello there.', 'fixtures/hello.wav');
 *     // point a client at `${el.url}/v1`
 */
export class ElevenLabsStandIn {
  readonly connections: ElevenLabsConnection[] = [];
  readonly requests: ElevenLabsRequest[] = [];
  readonly apiKey: string | undefined;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();
  readonly #sessions = new Set<TtsSession>();
  #httpInFlight = 0;
  readonly #audio = new ScriptedAudio();
  readonly #faults: { armed: ElevenLabsArmedFault; remaining: number }[] = [];
  readonly #waiters = new Set<(connection: ElevenLabsConnection) => void>();
  readonly #closing = new AbortController();
  readonly #latency: ElevenLabsLatency;
  readonly #options: ElevenLabsStandInOptions;
  #url = '';

  private constructor(options: ElevenLabsStandInOptions) {
    this.#options = options;
    this.apiKey = options.apiKey;
    const latency = options.latency ?? 'none';
    this.#latency =
      latency === 'none'
        ? NO_LATENCY
        : latency === 'realistic'
          ? REALISTIC_LATENCY
          : { ...NO_LATENCY, ...latency };
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
    });
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        log().error({ err: error, url: req.url }, 'ElevenLabsStandIn: request failed');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket, head),
    );
  }

  static async start(options: ElevenLabsStandInOptions = {}): Promise<ElevenLabsStandIn> {
    const standIn = new ElevenLabsStandIn(options);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      standIn.#server.once('error', reject);
      standIn.#server.listen(options.port ?? 0, host, () => {
        standIn.#server.off('error', reject);
        resolve();
      });
    });
    const { port } = standIn.#server.address() as AddressInfo;
    standIn.#url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return standIn;
  }

  /** `http://HOST:PORT`, no `/v1`: clients take `${url}/v1` as their base URL (both are served). */
  get url(): string {
    return this.#url;
  }

  /** The same with `ws://`, for websocket clients that want it spelled out. */
  get wsUrl(): string {
    return this.#url.replace(/^http/, 'ws');
  }

  /**
   * Speaks `text` (compared after trimming) with this audio instead of the
   * synthetic tone: frames, or the path of a WAV file (read now, so a bad
   * file fails here). Resampled to whatever rate a client asks for. The
   * alignment spreads the text's characters evenly over the audio.
   */
  registerAudio(text: string, frames: AudioFrame[] | string): this {
    this.#audio.register(text, frames);
    return this;
  }

  /** Arms `fault` for the next `times` websocket connections or HTTP speech requests. */
  injectFault(fault: ElevenLabsFault, options: ElevenLabsFaultOptions = {}): this {
    const armed = {
      fault,
      afterAudioMs: options.afterAudioMs ?? 0,
      delayMs: options.delayMs ?? 3000,
      ...(fault === 'status' ? { status: options.status ?? 500 } : {}),
    };
    this.#faults.push({ armed, remaining: options.times ?? 1 });
    return this;
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  openConnectionCount(): number {
    return this.#sockets.size;
  }

  /** Cuts every open websocket at once (1006 for the client), as a network failure would. */
  dropConnections(): void {
    for (const ws of this.#sockets) ws.terminate();
  }

  /**
   * Requests in progress: HTTP exchanges not yet over, and synthesis
   * contexts open on the websockets (a warm socket with none is idle).
   */
  openRequestCount(): number {
    let contexts = 0;
    for (const session of this.#sessions) contexts += session.openContexts;
    return this.#httpInFlight + contexts;
  }

  /**
   * Resolves with the first connection, made already or still to come, that
   * `match` accepts (default: any). Rejects after 20 s × TEST_TIME_SCALE.
   */
  waitForConnection(
    match: (connection: ElevenLabsConnection) => boolean = () => true,
  ): Promise<ElevenLabsConnection> {
    const found = this.connections.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const deadline = scaledMs(20_000);
      const waiter = (connection: ElevenLabsConnection) => {
        if (!match(connection)) return;
        settle();
        resolve(connection);
      };
      const timer = setTimeout(() => {
        settle();
        reject(
          new Error(`ElevenLabsStandIn: no matching websocket connection within ${deadline} ms`),
        );
      }, deadline);
      const onClose = () => {
        settle();
        reject(new Error('ElevenLabsStandIn: closed while waiting for a connection'));
      };
      const settle = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        this.#closing.signal.removeEventListener('abort', onClose);
      };
      this.#waiters.add(waiter);
      this.#closing.signal.addEventListener('abort', onClose, { once: true });
    });
  }

  /** Cuts every websocket and HTTP connection and stops listening. */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const ws of this.#sockets) ws.terminate();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    this.#wss.close();
  }

  #acceptsKey = (key: string): boolean =>
    key !== '' && (this.apiKey === undefined || key === this.apiKey);

  #takeFault(): ElevenLabsArmedFault | undefined {
    const entry = this.#faults.find((f) => f.remaining > 0);
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.#faults.splice(this.#faults.indexOf(entry), 1);
    return entry.armed;
  }

  #scriptedPcm = (text: string, sampleRate: number) => this.#audio.pcmFor(text, sampleRate);

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const route = PATHS.socket.exec(url.pathname);
    const refuse = (error: ElevenLabsHttpError) => {
      this.requests.push({
        method: 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: undefined,
        status: error.status,
      });
      refuseUpgrade(socket, error);
    };
    if (!route || this.#closing.signal.aborted) {
      refuse(new ElevenLabsHttpError(404, { detail: 'Not Found' }));
      return;
    }
    const fault = this.#takeFault();
    if (fault?.fault === 'auth') {
      refuse(ElevenLabsHttpError.invalidKey());
      return;
    }
    if (fault?.fault === 'status') {
      refuse(statusError(fault.status ?? 500));
      return;
    }
    const headerKey = req.headers['xi-api-key'];
    const queryKey = url.searchParams.get('authorization')?.replace(/^Bearer\s+/i, '');
    const key = typeof headerKey === 'string' ? headerKey : queryKey;
    const badKey = key !== undefined && !this.#acceptsKey(key);
    if (badKey && this.#options.socketAuthFailure !== 'close-1008') {
      refuse(ElevenLabsHttpError.invalidKey());
      return;
    }
    let sampleRate: number;
    try {
      sampleRate = pcmRateOf(url.searchParams.get('output_format'));
    } catch (error) {
      if (error instanceof UnservedFormatError) {
        refuse(ElevenLabsHttpError.fromFormat(error));
        return;
      }
      throw error;
    }
    const timeoutS = Number(url.searchParams.get('inactivity_timeout') ?? DEFAULT_INACTIVITY_S);
    if (!(timeoutS > 0)) {
      refuse(
        ElevenLabsHttpError.validation(
          ['query', 'inactivity_timeout'],
          'must be a positive number of seconds',
          'value_error',
        ),
      );
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = this.#record(ws, req, url, route, fault);
      this.#sockets.add(ws);
      ws.on('close', () => this.#sockets.delete(ws));
      const session = new TtsSession(ws, {
        connection,
        sampleRate,
        inactivityTimeoutMs: timeoutS * 1000,
        maxContexts: this.#options.maxContexts ?? 5,
        autoMode: url.searchParams.get('auto_mode') === 'true',
        alignmentTimes: this.#options.alignmentTimes ?? 'chunk',
        latency: this.#latency,
        authenticated: key !== undefined,
        acceptsKey: this.#acceptsKey,
        scriptedPcm: this.#scriptedPcm,
        logAudio: this.#options.logAudio ?? true,
      });
      this.#sessions.add(session);
      ws.on('close', () => this.#sessions.delete(session));
      if (badKey) session.rejectKey();
      for (const waiter of this.#waiters) waiter(connection);
    });
  }

  #record(
    ws: WebSocket,
    req: IncomingMessage,
    url: URL,
    route: RegExpExecArray,
    fault: ElevenLabsArmedFault | undefined,
  ): ElevenLabsConnection {
    let resolveClosed!: () => void;
    const connection: ElevenLabsConnection = {
      id: this.connections.length + 1,
      kind: route[2] as ElevenLabsSocketKind,
      path: url.pathname,
      voiceId: decodeURIComponent(route[1] as string),
      query: url.searchParams,
      headers: req.headers,
      messages: [],
      sent: [],
      fault,
      faultStruck: false,
      audioMsSent: 0,
      closed: new Promise<void>((resolve) => {
        resolveClosed = resolve;
      }),
    };
    ws.on('close', (code, reason) => {
      connection.closeCode = code;
      connection.closeReason = reason.toString();
      resolveClosed();
    });
    this.connections.push(connection);
    return connection;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const record: ElevenLabsRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: undefined,
    };
    this.requests.push(record);
    const gone = new AbortController();
    this.#httpInFlight += 1;
    res.once('close', () => {
      this.#httpInFlight -= 1;
      gone.abort();
    });
    const signal = AbortSignal.any([gone.signal, this.#closing.signal]);
    try {
      record.body = parseBody(await readBody(req));
      await this.#route(req, res, record, url, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof ElevenLabsHttpError)) throw error;
      if (res.headersSent) res.destroy();
      else sendJson(res, record, error.status, error.body);
    }
  }

  async #route(
    req: IncomingMessage,
    res: ServerResponse,
    record: ElevenLabsRequest,
    url: URL,
    signal: AbortSignal,
  ): Promise<void> {
    const path = url.pathname;
    const speech = PATHS.speech.exec(path);
    const known = speech || PATHS.voices.test(path) || PATHS.voice.test(path);
    if (!known) throw new ElevenLabsHttpError(404, { detail: 'Not Found' });
    const expected = speech ? 'POST' : 'GET';
    if (req.method !== expected)
      throw new ElevenLabsHttpError(405, { detail: 'Method Not Allowed' });
    const key = req.headers['xi-api-key'];
    if (typeof key !== 'string' || key === '') throw ElevenLabsHttpError.missingKey();
    if (!this.#acceptsKey(key)) throw ElevenLabsHttpError.invalidKey();
    if (!speech) {
      const id = PATHS.voice.exec(path)?.[1];
      if (id === undefined) return sendJson(res, record, 200, { voices: VOICES });
      const found = VOICES.find((v) => v.voice_id === id);
      if (!found)
        throw ElevenLabsHttpError.detail(
          400,
          'voice_not_found',
          `A voice with the voice_id ${id} was not found.`,
        );
      return sendJson(res, record, 200, found);
    }
    const fault = this.#takeFault();
    record.fault = fault;
    if (fault?.fault === 'auth') throw ElevenLabsHttpError.invalidKey();
    if (fault?.fault === 'status') throw statusError(fault.status ?? 500);
    await handleSpeech(
      { req, res, record, fault, latency: this.#latency, signal, scriptedPcm: this.#scriptedPcm },
      speech[2] !== undefined,
    );
  }
}

/** What the service answers for `status`, in its `{"detail": {status, message}}` shape. */
function statusError(status: number): ElevenLabsHttpError {
  return status >= 500
    ? ElevenLabsHttpError.detail(status, 'internal_error', 'An internal error occurred.')
    : ElevenLabsHttpError.detail(status, 'invalid_request', `Request refused (${status}).`);
}

async function readBody(req: IncomingMessage, limit = 2 ** 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw ElevenLabsHttpError.detail(
        413,
        'payload_too_large',
        `request body over ${limit} bytes`,
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** An HTTP answer instead of the 101, written on the raw socket, then the socket closed. */
function refuseUpgrade(socket: Duplex, error: ElevenLabsHttpError): void {
  const body = JSON.stringify(error.body);
  const reason =
    { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 422: 'Unprocessable Entity' }[
      error.status
    ] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${error.status} ${reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
