import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer } from 'ws';
import { Waits } from '../livekit/waits.js';
import { createStandInServer, listenOn } from '../stand-in-server.js';
import { scaledMs } from '../time.js';
import {
  chooseProtocol,
  type ListenError,
  presentedKey,
  readBody,
  refuseUpgrade,
  sendError,
  sendJson,
} from './http.js';
import {
  INVALID_AUTH,
  ListenParamError,
  type ListenParams,
  parseListenParams,
} from './messages.js';
import { transcribePrerecorded } from './prerecorded.js';
import { type ConnectionFault, LiveSession, MALFORMED_FRAME } from './session.js';
import type {
  DeepgramConnection,
  DeepgramFault,
  DeepgramFaultOptions,
  DeepgramLatency,
  DeepgramLatencyOption,
  DeepgramRequest,
} from './types.js';

export interface DeepgramStandInOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The only key accepted; without one, any non-empty key is. */
  apiKey?: string;
  /** Default 'none': no added delays. 'realistic': the service's typical delays (providers-wire.md 6.3). */
  latency?: DeepgramLatencyOption;
  /** A stream with no client frame for this long gets `Metadata` and a 1011 close. Default 10 000 (the service's). */
  idleTimeoutMs?: number;
  /**
   * No audio for this long (wall clock) while speech is pending counts as silence, so
   * the endpoint still comes when a client stops sending in quiet stretches (LiveKit's
   * plugin does after 1 s). Default 1000; false: only audio counts.
   */
  audioGapMs?: number | false;
}

export const DEEPGRAM_NO_LATENCY: DeepgramLatency = {
  handshakeMs: 0,
  firstInterimMs: 0,
  finalMs: 0,
  closeStreamMs: 0,
  prerecordedMs: 0,
};

/** Mid-range of the measured or documented figures (providers-wire.md 1.1 and 6.3). */
export const DEEPGRAM_REALISTIC_LATENCY: DeepgramLatency = {
  handshakeMs: 200,
  firstInterimMs: 150,
  finalMs: 200,
  closeStreamMs: 100,
  prerecordedMs: 500,
};

/** `slow-first-byte` without a latency profile to take the delay from. */
const SLOW_FIRST_BYTE_MS = 2000;
/** Larger pre-recorded bodies are refused (the service takes up to 2 GB; tests never need that). */
const MAX_BODY_BYTES = 100 * 2 ** 20;

interface ArmedFault {
  fault: DeepgramFault;
  options: DeepgramFaultOptions;
  remaining: number;
}

/** A fault taken by one connection or request. */
interface TakenFault {
  fault: DeepgramFault;
  afterAudioMs: number;
  onCloseStream: boolean;
  delayMs: number | undefined;
  status: number;
}

/**
 * A Deepgram stand-in: `/v1/listen` as a websocket (live) and as a POST
 * (pre-recorded), with the service's auth, messages and close codes, so that
 * `@deepgram/sdk` and other clients work against it unchanged.
 *
 * Transcripts follow the audio, in audio time: speech regions are found by
 * energy and get the scripted transcripts (`scriptTranscripts`) or a fixed
 * word sequence as long as the region.
 *
 *     const dg = await DeepgramStandIn.start({ apiKey: 'dg-test' });
 *     dg.scriptTranscripts('Hello there.');
 *     const client = new DeepgramClient({ apiKey: 'dg-test', baseUrl: dg.url });
 */
export class DeepgramStandIn {
  readonly apiKey: string | undefined;
  readonly latency: DeepgramLatency;
  /** Every live connection accepted, in order. */
  readonly connections: DeepgramConnection[] = [];
  /** Every pre-recorded request, in order. */
  readonly requests: DeepgramRequest[] = [];
  /** Upgrade requests refused (bad key, `auth` fault, bad parameters, wrong path). */
  readonly refusedUpgrades: { status: number; path: string; query: URLSearchParams }[] = [];
  readonly #sessions: LiveSession[] = [];
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #waits = new Waits();
  readonly #scripts: string[] = [];
  readonly #faults: ArmedFault[] = [];
  readonly #idleTimeoutMs: number;
  readonly #audioGapMs: number | false;
  /** The request id of each upgrade, for the 101's `dg-request-id`. */
  readonly #upgradeIds = new WeakMap<IncomingMessage, string>();
  /** Sockets held between the upgrade request and the 101 (latency, slow-first-byte). */
  readonly #upgrading = new Set<Duplex>();
  #url = '';
  #port = 0;
  /** Aborted by `close()`: ends the delays of held upgrades and requests. */
  readonly #closing = new AbortController();
  #closed = false;

  private constructor(options: DeepgramStandInOptions) {
    this.apiKey = options.apiKey;
    this.latency = resolveLatency(options.latency);
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
    this.#audioGapMs = options.audioGapMs ?? 1000;
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      handleProtocols: chooseProtocol,
    });
    this.#wss.on('headers', (headers, req) => {
      const id = this.#upgradeIds.get(req);
      if (id) headers.push(`dg-request-id: ${id}`);
    });
    this.#server = createStandInServer('DeepgramStandIn', {
      request: (req, res) => this.#handleRequest(req, res),
      upgrade: (req, socket, head) => this.#handleUpgrade(req, socket, head),
    });
  }

  static async start(options: DeepgramStandInOptions = {}): Promise<DeepgramStandIn> {
    const standIn = new DeepgramStandIn(options);
    const { port, url } = await listenOn(
      standIn.#server,
      options.port ?? 0,
      options.host ?? '127.0.0.1',
    );
    standIn.#port = port;
    standIn.#url = url;
    return standIn;
  }

  /** `http://HOST:PORT`: the `baseUrl` of `@deepgram/sdk` (REST and websocket). */
  get url(): string {
    return this.#url;
  }

  /** `ws://HOST:PORT`: for clients that want a websocket base URL. */
  get wsUrl(): string {
    return this.#url.replace(/^http/, 'ws');
  }

  get port(): number {
    return this.#port;
  }

  /** Transcripts of the next speech regions, one per region, in order (live and pre-recorded alike). */
  scriptTranscripts(...texts: string[]): this {
    this.#scripts.push(...texts);
    return this;
  }

  /** Scripted transcripts not used yet. */
  get pendingScripts(): readonly string[] {
    return [...this.#scripts];
  }

  /** Arms `fault` for the next `options.times` (default 1) connections or requests. */
  injectFault(fault: DeepgramFault, options: DeepgramFaultOptions = {}): this {
    const times = options.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new Error(`injectFault: times must be a whole number >= 1 (got ${times})`);
    }
    this.#faults.push({ fault, options, remaining: times });
    return this;
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Upgrades received but not answered yet (held by the latency profile or `slow-first-byte`). */
  heldUpgradeCount(): number {
    return this.#upgrading.size;
  }

  openConnectionCount(): number {
    return this.#sessions.filter((session) => session.open).length;
  }

  /** The first connection, made already or still to come, that `match` accepts (default: any). */
  waitForConnection(
    match: (connection: DeepgramConnection) => boolean = () => true,
  ): Promise<DeepgramConnection> {
    return this.waitUntil(() => this.connections.find(match), 'matching Deepgram connection');
  }

  /**
   * Resolves with `check()`'s first defined result, checked now and after every
   * change (a connection, a frame in or out, a close); deadline 20 s × TEST_TIME_SCALE.
   */
  waitUntil<T>(check: () => T | undefined, what: string, timeoutMs = scaledMs(20_000)): Promise<T> {
    return this.#waits.until(check, timeoutMs, what);
  }

  /** Terminates every open live connection now (no close frame: the client sees 1006), as a network failure does. */
  dropConnections(): void {
    for (const session of this.#sessions) session.shutdown();
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    for (const session of this.#sessions) session.shutdown();
    for (const socket of this.#upgrading) socket.destroy();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    this.#wss.close();
    await closed;
    await Promise.all(this.#sessions.map((session) => session.closed));
    this.#waits.close();
  }

  async #handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const requestId = randomUUID();
    const refuse = (error: ListenError) => {
      this.refusedUpgrades.push({
        status: error.status,
        path: url.pathname,
        query: url.searchParams,
      });
      refuseUpgrade(socket, error, requestId);
      this.#waits.notify();
    };
    if (this.#closed) return void socket.destroy();
    if (url.pathname !== '/v1/listen') {
      return refuse({
        status: 404,
        code: 'NOT_FOUND',
        message: `no websocket endpoint at ${url.pathname}; the stand-in serves /v1/listen`,
      });
    }
    if (!this.#authorized(req)) return refuse({ status: 401, ...INVALID_AUTH });
    const faults = this.#takeFaults();
    if (faults.some((f) => f.fault === 'auth')) return refuse({ status: 401, ...INVALID_AUTH });
    const failed = faults.find((f) => f.fault === 'status');
    if (failed) return refuse(statusError(failed.status));
    let params: ListenParams;
    try {
      params = parseListenParams(url.searchParams);
    } catch (error) {
      if (!(error instanceof ListenParamError)) throw error;
      return refuse({ status: 400, code: 'INVALID_QUERY_PARAMETER', message: error.message });
    }
    const slow = faults.find((f) => f.fault === 'slow-first-byte');
    const delayMs = slow ? slowDelay(slow, this.latency.handshakeMs) : this.latency.handshakeMs;
    if (delayMs > 0) {
      this.#upgrading.add(socket);
      this.#waits.notify();
      await this.#delay(delayMs);
      this.#upgrading.delete(socket);
      if (this.#closed || socket.destroyed) return void socket.destroy();
    }
    this.#upgradeIds.set(req, requestId);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new LiveSession(ws, {
        id: this.connections.length + 1,
        requestId,
        params,
        query: url.searchParams,
        headers: { ...req.headers },
        latency: this.latency,
        idleTimeoutMs: this.#idleTimeoutMs,
        audioGapMs: this.#audioGapMs,
        taken: faults.map((f) => f.fault),
        faults: faults
          .filter((f): f is TakenFault & { fault: ConnectionFault['kind'] } =>
            ['drop', 'stall', 'malformed'].includes(f.fault),
          )
          .map((f) => ({
            kind: f.fault,
            afterAudioMs: f.afterAudioMs,
            onCloseStream: f.onCloseStream,
          })),
        takeScript: () => this.#scripts.shift(),
        changed: () => this.#waits.notify(),
      });
      this.#sessions.push(session);
      this.connections.push(session);
      this.#waits.notify();
    });
  }

  async #handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const requestId = randomUUID();
    if (req.method !== 'POST' || url.pathname !== '/v1/listen') {
      const message = `no endpoint ${req.method} ${url.pathname}; the stand-in serves POST /v1/listen and the /v1/listen websocket`;
      return sendError(res, { status: 404, code: 'NOT_FOUND', message }, requestId);
    }
    const faults = this.#authorized(req) ? this.#takeFaults() : [];
    const record: DeepgramRequest = {
      id: this.requests.length + 1,
      requestId,
      query: url.searchParams,
      headers: { ...req.headers },
      contentType: req.headers['content-type'] ?? '',
      bodyBytes: 0,
      faults: faults.map((f) => f.fault),
    };
    this.requests.push(record);
    this.#waits.notify();
    const answer = (status: number, send: () => void) => {
      record.status = status;
      send();
      this.#waits.notify();
    };
    const body = await readBody(req, MAX_BODY_BYTES);
    (record as { bodyBytes: number }).bodyBytes = body?.length ?? 0;
    if (!this.#authorized(req) || faults.some((f) => f.fault === 'auth')) {
      return answer(401, () => sendError(res, { status: 401, ...INVALID_AUTH }, requestId));
    }
    const failed = faults.find((f) => f.fault === 'status');
    if (failed)
      return answer(failed.status, () => sendError(res, statusError(failed.status), requestId));
    if (faults.some((f) => f.fault === 'drop')) return void req.socket.destroy();
    // Stalled: the request is never answered; the client's own timeout (or close()) ends it.
    if (faults.some((f) => f.fault === 'stall')) return;
    if (!body) {
      const message = `the stand-in takes bodies up to ${MAX_BODY_BYTES} bytes`;
      return answer(413, () =>
        sendError(res, { status: 413, code: 'Payload Too Large', message }, requestId),
      );
    }
    const slow = faults.find((f) => f.fault === 'slow-first-byte');
    const delayMs = slow ? slowDelay(slow, this.latency.prerecordedMs) : this.latency.prerecordedMs;
    if (delayMs > 0) await this.#delay(delayMs);
    if (this.#closed || res.destroyed) return;
    const outcome = transcribePrerecorded(
      body,
      record.contentType,
      url.searchParams,
      requestId,
      () => this.#scripts.shift(),
    );
    if ('error' in outcome) {
      return answer(outcome.error.status, () => sendError(res, outcome.error, requestId));
    }
    const text = faults.some((f) => f.fault === 'malformed') ? MALFORMED_FRAME : outcome.body;
    answer(200, () => sendJson(res, text, requestId));
  }

  /** Waits `ms`, or less if the stand-in closes meanwhile (the caller then finds its socket gone). */
  #delay(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.#closing.signal }).catch(() => {});
  }

  #authorized(req: IncomingMessage): boolean {
    const key = presentedKey(req);
    return key !== undefined && (this.apiKey === undefined || key === this.apiKey);
  }

  /** One armed fault of each kind, for one connection or request. */
  #takeFaults(): TakenFault[] {
    const taken: TakenFault[] = [];
    for (const armed of this.#faults) {
      if (armed.remaining <= 0 || taken.some((t) => t.fault === armed.fault)) continue;
      armed.remaining -= 1;
      taken.push({
        fault: armed.fault,
        afterAudioMs: armed.options.afterAudioMs ?? 0,
        onCloseStream: armed.options.onCloseStream === true,
        delayMs: armed.options.delayMs,
        status: armed.options.status ?? 503,
      });
    }
    return taken;
  }
}

/** The error a `status` fault answers with. */
function statusError(status: number): ListenError {
  const message = `the stand-in was asked to fail this request with ${status} (injectFault('status'))`;
  return { status, code: status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'FAULT_INJECTED', message };
}

function slowDelay(fault: TakenFault, profileMs: number): number {
  return fault.delayMs ?? (profileMs > 0 ? profileMs : SLOW_FIRST_BYTE_MS);
}

function resolveLatency(option: DeepgramLatencyOption | undefined): DeepgramLatency {
  if (option === undefined || option === 'none') return { ...DEEPGRAM_NO_LATENCY };
  if (option === 'realistic') return { ...DEEPGRAM_REALISTIC_LATENCY };
  return { ...DEEPGRAM_NO_LATENCY, ...option };
}
