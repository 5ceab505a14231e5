// CONTRACT (interface agreed before implementation): the implementation is being
// written on branch `ws-core`; plugins code against the types and behaviour below.
import type { APIConnectOptions, APIError } from '../errors.js';
import type { ConnectionMetrics } from '../metrics/base.js';

/** What one connection attempt dials. Built afresh per attempt, so changed options apply at the next connection. */
export interface SocketRequest {
  url: string;
  headers?: Record<string, string>;
  protocols?: string[];
}

/** A refused websocket handshake: the HTTP answer the server gave instead of 101. */
export interface HandshakeRefusal {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The response body as text (truncated to a few KB). */
  body: string;
}

/** What `onOpen` may do on a fresh connection before buffered messages are replayed. */
export interface OpenSocket {
  /** Sends at once on the new connection (never buffered). */
  send(data: string | Uint8Array): void;
  /** 0 for the first connection, then 1, 2... per reconnect. */
  readonly generation: number;
}

export interface ReconnectingSocketOptions {
  /** Names the connection in logs, errors and metrics: `deepgram.STT`, `elevenlabs.TTS`. */
  label: string;
  /** Builds the request of each attempt. */
  request: () => SocketRequest | Promise<SocketRequest>;
  /**
   * `timeoutMs` is the deadline of one connect (handshake included);
   * `maxRetry` the failures in a row after which the socket gives up;
   * `retryIntervalMs` the first backoff, doubled per failure up to `maxIntervalMs`, with jitter.
   */
  connectOptions: APIConnectOptions;
  /** Cap of the backoff (default 30 s). */
  maxIntervalMs?: number;
  /**
   * A connection that fails within this time of opening counts as a failed
   * attempt, so a server that accepts and drops at once exhausts `maxRetry`
   * instead of looping (default 5 s).
   */
  stableAfterMs?: number;
  /**
   * Turns a refused handshake into the error to report. Return an error with
   * `retryable: false` to stop at once (bad key, invalid option). The default
   * treats 401/403 as permanent with a message naming `apiKeyName`, 400/404/422
   * as permanent naming the body, and 408/429/5xx as retryable (honouring retry-after).
   */
  describeRefusal?: (refusal: HandshakeRefusal) => APIError;
  /** The env var / option that holds the key, for the default 401/403 message: `DEEPGRAM_API_KEY`. */
  apiKeyName?: string;
  /**
   * Sends `message()` whenever nothing was sent for `intervalMs` while open
   * (a provider's idle timeout must never cut a stream that waits on the
   * LLM). `message` may return undefined to skip this time. Without
   * `message`, a websocket ping is sent instead.
   */
  keepalive?: { intervalMs: number; message?: () => string | Uint8Array | undefined };
  /**
   * Bound on messages kept while the connection is down, in bytes (strings
   * count their UTF-8 length). On overflow the oldest are dropped and one
   * warning per outage says how many messages and bytes were lost.
   */
  bufferLimitBytes: number;
  /**
   * Runs on every open connection before buffered messages are replayed:
   * restore provider-side state (open a context again, replay
   * unacknowledged audio). A throw counts as a failed attempt.
   */
  onOpen?: (socket: OpenSocket) => void | Promise<void>;
  /** Every message from the server, in order. */
  onMessage: (data: string | Uint8Array, isBinary: boolean) => void;
  /**
   * Called when a connection is lost unexpectedly (before the retry wait):
   * the plugin forgets per-connection state (server-side contexts, time offsets).
   */
  onLost?: (error: APIError) => void;
  /** Receives a `connection` metric per lost / reconnected / gave_up. */
  onMetrics?: (metrics: ConnectionMetrics) => void;
  /** Aborting closes at once, as `close()` does. */
  signal?: AbortSignal;
}

export type ReconnectingSocketState =
  | 'idle'
  | 'connecting'
  | 'open'
  | 'waiting'
  | 'ending'
  | 'closed';

/**
 * One logical connection to a provider that survives drops: connect with a
 * deadline, keepalive, reconnect with backoff and jitter up to `maxRetry`,
 * quick-failure detection, permanent errors that stop at once, a bounded
 * replay buffer for what is sent while down, and a clean end that waits for
 * the provider's last messages with a deadline.
 *
 * Lifecycle: `open()` → (`send()` / `onMessage`)* → `end()` or `close()`.
 * `done` settles once: resolves after a clean end or close, rejects with the
 * error that made it give up (permanent, or retries exhausted).
 *
 * An unexpected close (any code other than a close we asked for), a socket
 * error, a failed send or a missed `expectReply` deadline all count as a
 * drop: retryable, logged at warn with the label and attempt, reported as a
 * `connection` metric.
 */
export class ReconnectingSocket {
  constructor(_options: ReconnectingSocketOptions) {
    throw new Error('ReconnectingSocket: not built yet (branch ws-core)');
  }

  get state(): ReconnectingSocketState {
    throw new Error('not built');
  }

  /** Settles once: resolves on a clean end or close, rejects with the reason it gave up. */
  get done(): Promise<void> {
    throw new Error('not built');
  }

  /**
   * Opens the first connection, retrying per the options. Resolves when it
   * is open; rejects with the permanent error, or the last error once
   * retries run out (and then `done` rejects with the same).
   */
  open(): Promise<void> {
    throw new Error('not built');
  }

  /**
   * Sends now if open; otherwise keeps the message in the bounded replay
   * buffer, sent in order after the next `onOpen`. Throws
   * `StreamClosedError` once ending or closed.
   */
  send(_data: string | Uint8Array): void {
    throw new Error('not built');
  }

  /**
   * Arms a deadline: if no message arrives within `timeoutMs`, the
   * connection is treated as dropped (stalled provider). Any message
   * disarms it. Call it after asking for something (Finalize, a flush).
   */
  expectReply(_timeoutMs: number): void {
    throw new Error('not built');
  }

  /**
   * Ends cleanly: sends `finalMessage` (if given) and waits up to
   * `timeoutMs` for the server to close the connection after its last
   * messages (all of which reach `onMessage`). If the deadline passes, the
   * socket is closed anyway and the promise resolves (with a warning log).
   * A drop while ending does not reconnect.
   */
  end(_options: { finalMessage?: string | Uint8Array; timeoutMs: number }): Promise<void> {
    throw new Error('not built');
  }

  /** Closes at once (1000), dropping buffered messages; pending waits settle. Idempotent. */
  close(): Promise<void> {
    throw new Error('not built');
  }
}
