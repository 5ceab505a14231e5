import type { ServerInfo, ServerMessage, WorkerMessage } from '@livekit/protocol';
import type WebSocket from 'ws';
import { APIConnectionError, APIStatusError, isRetryableStatus } from '../errors.js';
import { type Logger, redactUrl } from '../log.js';
import { Backoff } from '../utils/backoff.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import { Future } from '../utils/future.js';
import { sleep } from '../utils/sleep.js';
import { loadProtocol } from './protocol.js';

// Loaded when the worker connects, not at import: job processes import this
// package too, and would carry the library idle.
const loadWebSocket = async () => (await import('ws')).default;
const WS_OPEN = 1;
const WS_CLOSED = 3;

/**
 * Where the connection is, as one field (ws's `readyState`, one level up):
 * - `idle`: `run()` not called yet;
 * - `connecting`: opening a socket or registering, or waiting to retry;
 * - `registered`: the server accepted the registration: messages flow;
 * - `closing`: `close()` was called: the close handshake is under way;
 * - `closed`: over, for good.
 */
export type ConnectionState = 'idle' | 'connecting' | 'registered' | 'closing' | 'closed';

export interface AgentConnectionTimings {
  /** The socket must open and the server answer the registration within this. */
  registerTimeoutMs: number;
  /** We ping this often; no pong by the next ping means the link is dead. */
  heartbeatIntervalMs: number;
  /** A registration must last this long to reset the failure count. */
  stableAfterMs: number;
  /** Backoff between attempts: from this, doubling, with jitter. */
  retryIntervalMs: number;
  maxRetryIntervalMs: number;
  /** The close handshake may take this long; then the socket is destroyed. */
  closeTimeoutMs: number;
}

export const DEFAULT_CONNECTION_TIMINGS: AgentConnectionTimings = Object.freeze({
  registerTimeoutMs: 10_000,
  heartbeatIntervalMs: 15_000,
  // Twelve status reports: a server that drops us sooner is flapping, not serving.
  stableAfterMs: 30_000,
  retryIntervalMs: 500,
  maxRetryIntervalMs: 10_000,
  closeTimeoutMs: 2_000,
});

export interface AgentConnectionOptions {
  /** The `/agent` websocket URL. */
  url: string;
  /** A fresh bearer token for each attempt. */
  token: () => Promise<string>;
  /** The `register` message, sent first on each connection. */
  registerMessage: () => WorkerMessage;
  /** Failures in a row before giving up. */
  maxRetry: number;
  logger: Logger;
  timings?: Partial<AgentConnectionTimings>;
}

export interface AgentConnectionEvents {
  /** A new registration (a new worker id each time: the server does not remember us). */
  registered: { workerId: string; serverInfo: ServerInfo | undefined };
  /** Every server message after the registration response. */
  message: ServerMessage;
  /** The registration was lost; reconnection follows unless closing. */
  lost: { reason: string };
}

/** Messages kept for the server while disconnected (job status updates); oldest dropped first. */
const MAX_PENDING_MESSAGES = 128;

/**
 * The worker's link to the server's agent endpoint: connects, registers,
 * keeps the link alive with pings, decodes server frames (a bad frame is
 * logged, never fatal), and reconnects with backoff when the link drops.
 * Messages that must not be lost (job status) wait in a bounded queue while
 * disconnected. `close()` is graceful (close frame, code 1000, with a
 * deadline); failures that retrying cannot fix (credentials, a URL with no
 * agent endpoint) end `run()` at once with an error that says what to fix.
 */
export class AgentConnection extends TypedEventEmitter<AgentConnectionEvents> {
  #state: ConnectionState = 'idle';
  readonly #options: AgentConnectionOptions;
  readonly #timings: AgentConnectionTimings;
  readonly #log: Logger;
  readonly #pending: WorkerMessage[] = [];
  /** Aborted by `close()`: ends waits for a retry or a registration. */
  readonly #closing = new AbortController();
  #ws: WebSocket | undefined;
  #workerId = '';
  #closed: Promise<void> | undefined;
  #socketClosed: Future<void> | undefined;

  constructor(options: AgentConnectionOptions) {
    super();
    this.#options = options;
    this.#timings = { ...DEFAULT_CONNECTION_TIMINGS, ...options.timings };
    this.#log = options.logger;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The id of the current registration; '' when not registered. */
  get workerId(): string {
    return this.#state === 'registered' ? this.#workerId : '';
  }

  /**
   * Connects and serves, reconnecting as needed, until `close()` (resolves)
   * or a failure retrying cannot fix, or `maxRetry` failures in a row (rejects).
   */
  async run(): Promise<void> {
    if (this.#state !== 'idle') throw new Error('AgentConnection.run() was already called');
    const backoff = new Backoff({
      maxRetry: this.#options.maxRetry,
      retryIntervalMs: this.#timings.retryIntervalMs,
      maxIntervalMs: this.#timings.maxRetryIntervalMs,
      stableAfterMs: this.#timings.stableAfterMs,
    });
    const url = redactUrl(this.#options.url);
    while (!this.#closing.signal.aborted) {
      this.#state = 'connecting';
      let wasRegistered = false;
      try {
        await this.#serveOnce(() => {
          wasRegistered = true;
          backoff.connected();
        });
        return; // closed on purpose
      } catch (error) {
        if (this.#closing.signal.aborted) return;
        if (error instanceof APIStatusError && !error.retryable) throw error;
        const reason = errorMessage(error);
        if (wasRegistered) this.emit('lost', { reason });
        const delayMs = backoff.failed(error);
        if (delayMs === undefined) {
          throw new APIConnectionError(
            `could not stay connected to LiveKit at ${url}: ${backoff.failures} failed attempts ` +
              `in a row (maxRetry ${this.#options.maxRetry}); last: ${reason}`,
            { cause: error, retryable: false },
          );
        }
        this.#log.warn(
          {
            attempt: backoff.failures,
            maxRetry: this.#options.maxRetry,
            delayMs: Math.round(delayMs),
            reason,
          },
          wasRegistered
            ? 'connection to LiveKit lost; reconnecting'
            : 'could not connect; retrying',
        );
        try {
          await sleep(delayMs, this.#closing.signal);
        } catch {
          return;
        }
      }
    }
  }

  /**
   * Sends now if registered. Otherwise a message marked `queue` waits for the
   * next registration (bounded: the oldest is dropped, with a warning); the
   * rest are dropped, since they describe a moment that will have passed.
   */
  send(message: WorkerMessage, { queue = false } = {}): void {
    const ws = this.#ws;
    if (this.#state === 'registered' && ws && ws.readyState === WS_OPEN) {
      ws.send(message.toBinary());
      return;
    }
    if (!queue) return;
    if (this.#pending.length >= MAX_PENDING_MESSAGES) {
      this.#pending.shift();
      this.#log.warn('too many messages waiting for the connection; dropped the oldest');
    }
    this.#pending.push(message);
  }

  /**
   * Ends the connection for good: sends what is queued if the link is up,
   * then a close frame (1000), and waits for the server's within
   * `closeTimeoutMs` before destroying the socket. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    const ws = this.#ws;
    this.#state = 'closing';
    this.#closing.abort(new Error('the worker is closing'));
    if (ws && ws.readyState === WS_OPEN) {
      ws.close(1000, 'worker closing');
      try {
        await withDeadline(
          this.#socketClosed?.promise ?? Promise.resolve(),
          this.#timings.closeTimeoutMs,
          'close handshake',
        );
      } catch {
        this.#log.debug('the server did not complete the close handshake; dropping the socket');
      }
    }
    if (ws && ws.readyState !== WS_CLOSED) ws.terminate();
    this.#state = 'closed';
  }

  /**
   * One connection: open, register, serve. Resolves when `close()` ended it;
   * rejects when it fails or the server drops it.
   */
  async #serveOnce(onRegistered: () => void): Promise<void> {
    const [token, WebSocket] = await Promise.all([this.#options.token(), loadWebSocket()]);
    const ws = new WebSocket(this.#options.url, {
      headers: { Authorization: `Bearer ${token}` },
      handshakeTimeout: this.#timings.registerTimeoutMs,
    });
    const opened = new Future<void>();
    const registration = new Future<ServerMessage>();
    const closed = new Future<{ code: number; reason: string }>();
    const socketClosed = new Future<void>();
    let registered = false;

    ws.on('unexpected-response', (_req, res) => {
      opened.reject(refusal(res.statusCode ?? 0, redactUrl(this.#options.url)));
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => opened.resolve());
    ws.on('error', (error) => {
      opened.reject(error);
      registration.reject(error);
    });
    ws.on('close', (code, reason) => {
      const why = new Error(`connection closed (${code})`);
      opened.reject(why);
      registration.reject(why);
      closed.resolve({ code, reason: reason.toString() });
      socketClosed.resolve();
    });
    // The server may send a job offer in the same read as the register
    // response, before our await has resumed: such messages wait here.
    const early: ServerMessage[] = [];
    ws.on('message', (data, isBinary) => {
      const message = this.#decode(data, isBinary);
      if (!message) return;
      if (registered) this.emit('message', message);
      else if (!registration.resolve(message) && early.length < MAX_PENDING_MESSAGES) {
        early.push(message);
      }
    });
    ws.on('pong', () => {
      alive = true;
    });
    let alive = true;
    let heartbeat: NodeJS.Timeout | undefined;
    const abandon = () => {
      // Registration not finished: nothing to say goodbye to.
      if (!registered) ws.terminate();
    };
    this.#closing.signal.addEventListener('abort', abandon, { once: true });
    this.#ws = ws;
    this.#socketClosed = socketClosed;
    try {
      const first = await withDeadline(
        opened.promise.then(() => {
          ws.send(this.#options.registerMessage().toBinary());
          return registration.promise;
        }),
        this.#timings.registerTimeoutMs,
        `LiveKit did not answer the registration within ${this.#timings.registerTimeoutMs} ms`,
      );
      if (first.message.case !== 'register') {
        throw new Error(
          `expected the register response first, got ${first.message.case ?? 'nothing'}`,
        );
      }
      registered = true;
      this.#workerId = first.message.value.workerId;
      this.#state = 'registered';
      onRegistered();
      this.#log.info(
        { workerId: this.#workerId, url: redactUrl(this.#options.url) },
        'registered worker',
      );
      // The heartbeat starts with the registration, before anything else can stall.
      heartbeat = setInterval(() => {
        if (!alive) {
          this.#log.warn('no pong from LiveKit since the last ping; dropping the connection');
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, this.#timings.heartbeatIntervalMs);
      this.emit('registered', {
        workerId: this.#workerId,
        serverInfo: first.message.value.serverInfo,
      });
      for (const message of this.#pending.splice(0)) this.send(message, { queue: true });
      for (const message of early.splice(0)) this.emit('message', message);

      const { code, reason } = await closed.promise;
      if (this.#closing.signal.aborted) return;
      throw new Error(`the server closed the connection (${code}${reason ? `: ${reason}` : ''})`);
    } finally {
      clearInterval(heartbeat);
      this.#closing.signal.removeEventListener('abort', abandon);
      if (!this.#closing.signal.aborted) {
        this.#ws = undefined;
        if (ws.readyState !== WS_CLOSED) ws.terminate();
      }
    }
  }

  /** A server frame as a message, or undefined (logged) if it is not one. */
  #decode(data: WebSocket.RawData, isBinary: boolean): ServerMessage | undefined {
    if (!isBinary) {
      this.#log.warn('ignoring a text frame from the server');
      return undefined;
    }
    try {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      return loadProtocol().ServerMessage.fromBinary(bytes);
    } catch (error) {
      this.#log.warn({ err: error }, 'ignoring a malformed frame from the server');
      return undefined;
    }
  }
}

/** The server refused the worker's credentials: retrying cannot help. */
export class WorkerAuthError extends APIStatusError {
  override name = 'WorkerAuthError';
}

/** The error for an HTTP answer where a websocket upgrade was expected. */
function refusal(status: number, url: string): APIStatusError {
  if (status === 401 || status === 403) {
    return new WorkerAuthError(
      `LiveKit refused the worker's credentials (HTTP ${status}): check LIVEKIT_API_KEY ` +
        'and LIVEKIT_API_SECRET (--api-key, --api-secret)',
      { status, retryable: false },
    );
  }
  if (status === 404) {
    return new APIStatusError(
      `${url} is not a LiveKit agent endpoint (HTTP 404): check LIVEKIT_URL (--url); ` +
        'it should be the server URL, e.g. wss://my-project.livekit.cloud',
      { status, retryable: false },
    );
  }
  return new APIStatusError(`LiveKit answered HTTP ${status} instead of a websocket`, {
    status,
    retryable: isRetryableStatus(status),
  });
}
