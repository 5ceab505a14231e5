// The options and types of `ReconnectingSocket` (the contract plugins code
// against), apart from the class so that each file reads whole.
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

/**
 * One connection, as `onOpen` gets it. It may be kept and used after `onOpen`
 * returns, for the life of that connection: a caller that restores all of its
 * state in `onOpen` sends everything through it and sets `bufferLimitBytes: 0`,
 * so that nothing is ever replayed twice.
 */
export interface OpenSocket {
  /**
   * Sends at once on this connection, never through the replay buffer.
   * Returns true when the message was handed to the connection. Returns false,
   * sending nothing (it never throws), once this connection is gone: lost,
   * closed, or ended (the final message or close frame of `end()` went out on
   * it, and nothing may follow that). A message handed to a connection that
   * dies before writing it is not kept either: what the caller sends here, the
   * caller restores in the next `onOpen`.
   */
  send(data: string | Uint8Array): boolean;
  /** Bytes sent on this connection and not yet written to the network; 0 once it is gone. */
  readonly bufferedAmount: number;
  /**
   * The caller's backpressure: resolves once `bufferedAmount` is at most `bytes`
   * (a bound above a ping's few bytes), or once this connection is gone. A server
   * that takes no data for `stallMs` meanwhile is stalled: the connection is
   * dropped (`onLost`, then a reconnect, as for any drop), which resolves it.
   */
  drained(bytes: number, stallMs: number): Promise<void>;
  /** 0 for the first connection, then 1, 2... per reconnect. */
  readonly generation: number;
}

export interface ReconnectingSocketOptions {
  /** Names the connection in logs, errors and metrics: `deepgram.STT`, `elevenlabs.TTS`. */
  label: string;
  /**
   * Builds the request of each attempt (within the attempt's `timeoutMs`).
   * A throw stops the socket unless it is an `APIError` with `retryable: true`.
   */
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
   * Bound on what `send()` keeps while the connection is down, in bytes
   * (strings count their UTF-8 length). On overflow the oldest are dropped and
   * one warning per outage says how many messages and bytes were lost.
   *
   * 0 turns the replay buffer off: the caller replays everything itself in
   * `onOpen` and sends through the `OpenSocket` it was given, never through
   * `send()` (which would then drop anything sent while down, with that warning).
   */
  bufferLimitBytes: number;
  /**
   * Runs on every open connection before buffered messages are replayed (and,
   * on a reconnect while ending, before the final message is sent again):
   * restore provider-side state (open a context again, replay unacknowledged
   * audio). The `OpenSocket` stays usable after it returns, until that
   * connection is gone. A returned promise is awaited (within the attempt's
   * `timeoutMs`); a throw or rejection counts as a failed attempt.
   */
  onOpen?: (socket: OpenSocket) => unknown;
  /** Every message from the server, in order. */
  onMessage: (data: string | Uint8Array, isBinary: boolean) => void;
  /**
   * Called when a connection is lost unexpectedly, while ending too (before
   * the retry wait): the plugin forgets per-connection state (server-side
   * contexts, time offsets); that connection's `OpenSocket` sends nothing any more.
   * Calling `close()` from it (nothing to restore) stops there: no retry, no `lost` metric.
   */
  onLost?: (error: APIError) => void;
  /**
   * Receives a `connection` metric per lost / reconnected / gave_up. `lost`
   * comes with every scheduled retry, a failed attempt included (`attempt`
   * counts them); `reconnected` once a connection opens after any failure.
   */
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
