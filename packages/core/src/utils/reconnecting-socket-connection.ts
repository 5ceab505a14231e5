import type WebSocket from 'ws';
import { APIConnectionError, type APIError, APITimeoutError } from '../errors.js';
import { log, redactUrl } from '../log.js';
import { errorMessage, withDeadline } from './deadline.js';
import { Future } from './future.js';
import type { BufferedMessage } from './reconnecting-socket-buffer.js';
import { readRefusal } from './reconnecting-socket-refusal.js';
import type { HandshakeRefusal, SocketRequest } from './reconnecting-socket-types.js';

// Loaded at the first connection, not at import: every job process imports core.
const loadWebSocket = async () => (await import('ws')).default;
const WS_OPEN = 1;
const WS_CLOSED = 3;

export interface DialOptions {
  label: string;
  /** Aborting ends the attempt: the socket is destroyed and `dial` rejects with the reason. */
  signal: AbortSignal;
  describeRefusal: (refusal: HandshakeRefusal, url: string) => APIError;
  onMessage: (data: string | Uint8Array, isBinary: boolean) => void;
}

/**
 * Opens one websocket. Resolves when it is open; rejects with the refusal's
 * error, an `APIConnectionError` for a network failure, or the signal's reason.
 */
export async function dial(request: SocketRequest, options: DialOptions): Promise<Connection> {
  const WebSocket = await loadWebSocket();
  options.signal.throwIfAborted();
  const url = redactUrl(request.url);
  const ws = new WebSocket(request.url, request.protocols ?? [], {
    headers: request.headers,
    // Audio does not compress, and deflate costs CPU on every frame.
    perMessageDeflate: false,
  });
  const opened = new Future<void>();
  const connection = new Connection(ws, options.label, options.onMessage);
  const onAbort = () => {
    opened.reject(options.signal.reason);
    ws.terminate();
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  ws.on('unexpected-response', (_request, response) => {
    void readRefusal(response).then((refusal) => {
      let error: APIError;
      try {
        error = options.describeRefusal(refusal, url);
      } catch (thrown) {
        error = new APIConnectionError(
          `${options.label}: describeRefusal threw: ${errorMessage(thrown)}`,
          { cause: thrown, retryable: false },
        );
      }
      opened.reject(error);
      ws.terminate();
    });
  });
  ws.once('open', () => opened.resolve());
  ws.on('error', (error) => {
    opened.reject(
      new APIConnectionError(`${options.label}: could not connect to ${url}: ${error.message}`, {
        cause: error,
      }),
    );
  });
  ws.once('close', (code) => {
    opened.reject(
      new APIConnectionError(
        `${options.label}: ${url} closed the connection (${code}) while opening`,
      ),
    );
  });
  try {
    await opened.promise;
    return connection;
  } catch (error) {
    connection.terminate();
    throw error;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * One open websocket: sends with failure detection, keepalive, a reply
 * deadline, and one `lost` outcome however it ends. The lifecycle around it
 * (retries, buffering, ending) belongs to `ReconnectingSocket`.
 */
export class Connection {
  readonly #ws: WebSocket;
  /** Settles once, with why the connection ended (also when we ended it). */
  readonly lost = new Future<APIError>();
  /** The close code, once the socket has closed (1006 when it was cut). */
  closeCode: number | undefined;
  /** Handed to `ws` but not yet written to the kernel: put back in the buffer if the link dies. */
  readonly #unwritten: BufferedMessage[] = [];
  readonly #label: string;
  #lastSendAt = performance.now();
  #keepalive: ReturnType<typeof setTimeout> | undefined;
  #reply: { timer: ReturnType<typeof setTimeout>; at: number } | undefined;
  readonly #closed = new Future<void>();
  /** The end's final message or close frame went out: nothing may follow it. */
  #ended = false;
  /** Callers of `drained()`, released as writes complete or when the connection goes. */
  #drainWaits: { bytes: number; resolve: () => void }[] = [];
  /** Fails the connection when nothing was written for a while with `drained()` callers waiting. */
  #stall: ReturnType<typeof setTimeout> | undefined;

  constructor(
    ws: WebSocket,
    label: string,
    onMessage: (data: string | Uint8Array, isBinary: boolean) => void,
  ) {
    this.#ws = ws;
    this.#label = label;
    ws.on('message', (data, isBinary) => {
      this.#disarmReply();
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      onMessage(isBinary ? bytes : bytes.toString('utf8'), isBinary);
    });
    ws.on('error', (error) => {
      this.fail(
        new APIConnectionError(`${label}: connection error: ${error.message}`, { cause: error }),
      );
    });
    ws.once('close', (code, reason) => {
      this.closeCode = code;
      const why = reason.length > 0 ? `: ${reason.toString()}` : '';
      this.fail(
        new APIConnectionError(`${label}: the server closed the connection (${code}${why})`),
      );
      this.#closed.resolve();
    });
  }

  /** Sends at once. A `replayable` message is put back in the buffer if the link dies before writing it. */
  send(data: string | Uint8Array, replayable?: BufferedMessage): void {
    if (this.#ws.readyState !== WS_OPEN) {
      if (replayable) this.#unwritten.push(replayable);
      this.fail(new APIConnectionError(`${this.#label}: send failed: the connection is not open`));
      return;
    }
    this.#lastSendAt = performance.now();
    if (replayable) this.#unwritten.push(replayable);
    this.#ws.send(data, (error) => {
      if (replayable && !error) this.#unwritten.shift();
      if (error) {
        this.fail(
          new APIConnectionError(`${this.#label}: send failed: ${error.message}`, { cause: error }),
        );
      } else {
        this.#wrote();
      }
    });
  }

  /** `OpenSocket.bufferedAmount`. */
  get bufferedAmount(): number {
    return this.lost.done ? 0 : this.#ws.bufferedAmount;
  }

  /** `OpenSocket.drained`. */
  drained(bytes: number, stallMs: number): Promise<void> {
    if (this.lost.done || this.#ws.readyState !== WS_OPEN || this.#ws.bufferedAmount <= bytes) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#drainWaits.push({ bytes, resolve });
      this.#armStall(stallMs);
    });
  }

  /** A write reached the network: release the waits it satisfies; progress resets the stall deadline. */
  #wrote(): void {
    if (this.#drainWaits.length === 0) return;
    const buffered = this.#ws.bufferedAmount;
    this.#drainWaits = this.#drainWaits.filter((wait) => {
      if (buffered > wait.bytes) return true;
      wait.resolve();
      return false;
    });
    if (this.#drainWaits.length === 0) this.#disarmStall();
    else if (this.#stall) this.#stall.refresh();
  }

  #armStall(stallMs: number): void {
    if (this.#stall) return;
    this.#stall = setTimeout(() => {
      this.fail(
        new APITimeoutError(
          `${this.#label}: the server took no data for ${stallMs} ms with ` +
            `${this.#ws.bufferedAmount} bytes waiting to be sent (stalled); reconnecting`,
        ),
      );
    }, stallMs);
  }

  #disarmStall(): void {
    clearTimeout(this.#stall);
    this.#stall = undefined;
  }

  /** The connection is going: nothing more will drain, and nothing may be sent on it. */
  #releaseDrainWaits(): void {
    this.#disarmStall();
    for (const wait of this.#drainWaits.splice(0)) wait.resolve();
  }

  /**
   * `OpenSocket.send`: sends at once, unless this connection is gone (lost,
   * closing, or ended); then sends nothing and returns false, leaving the
   * connection as it is (the caller restores its state on the next one).
   */
  sendIfLive(data: string | Uint8Array): boolean {
    if (this.#ended || this.lost.done || this.#ws.readyState !== WS_OPEN) return false;
    this.send(data);
    return true;
  }

  /** Sends the end's final message (or a close frame, without one): the last thing this connection sends. */
  sendEnd(finalMessage: string | Uint8Array | undefined): void {
    this.stopKeepalive();
    if (finalMessage !== undefined) this.send(finalMessage);
    else if (this.#ws.readyState === WS_OPEN) this.#ws.close(1000);
    this.#ended = true;
  }

  /** Messages that were never written, oldest first. */
  takeUnwritten(): BufferedMessage[] {
    return this.#unwritten.splice(0);
  }

  /** Sends `message()` (or a ping) whenever nothing was sent for `intervalMs`. */
  startKeepalive(intervalMs: number, message?: () => string | Uint8Array | undefined): void {
    const tick = () => {
      const idleMs = performance.now() - this.#lastSendAt;
      if (idleMs >= intervalMs && this.#ws.readyState === WS_OPEN) {
        try {
          if (!message) {
            this.#ws.ping();
            this.#lastSendAt = performance.now();
          } else {
            const data = message();
            if (data !== undefined) this.send(data);
            else this.#lastSendAt = performance.now();
          }
        } catch (error) {
          log().error({ label: this.#label, error: errorMessage(error) }, 'keepalive failed');
        }
      }
      const waitMs = Math.max(1, intervalMs - (performance.now() - this.#lastSendAt));
      this.#keepalive = setTimeout(tick, waitMs);
    };
    this.stopKeepalive();
    this.#keepalive = setTimeout(tick, intervalMs);
  }

  stopKeepalive(): void {
    clearTimeout(this.#keepalive);
    this.#keepalive = undefined;
  }

  /** No message within `ms` fails the connection; the earlier of two deadlines wins. */
  expectReply(ms: number, error: () => APIError): void {
    const at = performance.now() + ms;
    if (this.#reply && this.#reply.at <= at) return;
    this.#disarmReply();
    this.#reply = { at, timer: setTimeout(() => this.fail(error()), ms) };
  }

  #disarmReply(): void {
    if (!this.#reply) return;
    clearTimeout(this.#reply.timer);
    this.#reply = undefined;
  }

  /** Ends the connection as failed: `lost` settles with `error`, the socket is destroyed. */
  fail(error: APIError): void {
    this.#stopTimers();
    this.lost.resolve(error);
    if (this.#ws.readyState !== WS_CLOSED) this.#ws.terminate();
  }

  /** Destroys the socket now. */
  terminate(): void {
    this.#stopTimers();
    if (this.#ws.readyState !== WS_CLOSED) this.#ws.terminate();
  }

  /** Sends a close frame; resolves when the server answers, or destroys the socket after `timeoutMs`. */
  async close(code: number, timeoutMs: number): Promise<void> {
    this.#stopTimers();
    if (this.#ws.readyState === WS_CLOSED) return;
    if (this.#ws.readyState === WS_OPEN) this.#ws.close(code);
    else this.#ws.terminate();
    // Past the deadline the socket is destroyed all the same.
    await withDeadline(this.#closed.promise, timeoutMs, 'close handshake').catch(() => {});
    this.terminate();
  }

  /** Called on every way the connection goes (fail, terminate, close). */
  #stopTimers(): void {
    this.stopKeepalive();
    this.#disarmReply();
    this.#releaseDrainWaits();
  }
}
