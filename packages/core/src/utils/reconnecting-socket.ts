import { APIConnectionError, APIError, APITimeoutError } from '../errors.js';
import { log } from '../log.js';
import type { ConnectionMetrics } from '../metrics/base.js';
import { StreamClosedError } from './async-stream.js';
import { Backoff } from './backoff.js';
import { DeadlineError, errorMessage, withDeadline } from './deadline.js';
import { Future } from './future.js';
import { message, ReplayBuffer } from './reconnecting-socket-buffer.js';
import { type Connection, dial } from './reconnecting-socket-connection.js';
import { defaultRefusalError } from './reconnecting-socket-refusal.js';
import type {
  ReconnectingSocketOptions,
  ReconnectingSocketState,
} from './reconnecting-socket-types.js';
import { sleep } from './sleep.js';

export type {
  HandshakeRefusal,
  OpenSocket,
  ReconnectingSocketOptions,
  ReconnectingSocketState,
  SocketRequest,
} from './reconnecting-socket-types.js';

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
 * An unexpected close (any close but the server's clean close of an `end()`,
 * or our own `close()`), a socket error, a failed send or a missed
 * `expectReply` deadline all count as a drop: retryable, logged at warn with
 * the label and attempt, reported as a `connection` metric, and followed by a
 * reconnect, while ending too.
 */
export class ReconnectingSocket {
  readonly #options: ReconnectingSocketOptions;
  readonly #backoff: Backoff;
  readonly #buffer: ReplayBuffer;
  /** Aborted when the socket is over (close, end, give up): stops dials and retry waits. */
  readonly #stop = new AbortController();
  readonly #opened = new Future<void>();
  readonly #done = new Future<void>();
  #state: ReconnectingSocketState = 'idle';
  #connection: Connection | undefined;
  #generation = 0;
  /** An `expectReply` made while down, armed on the next connection. */
  #replyMs: number | undefined;
  #ending: Ending | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ReconnectingSocketOptions) {
    const { bufferLimitBytes, keepalive } = options;
    if (!Number.isFinite(bufferLimitBytes) || bufferLimitBytes < 0) {
      throw new TypeError(
        `${options.label}: bufferLimitBytes must be a number >= 0 (got ${String(bufferLimitBytes)})`,
      );
    }
    if (keepalive && !(keepalive.intervalMs > 0)) {
      throw new TypeError(
        `${options.label}: keepalive.intervalMs must be > 0 (got ${String(keepalive.intervalMs)})`,
      );
    }
    this.#options = options;
    this.#buffer = new ReplayBuffer(bufferLimitBytes);
    this.#backoff = new Backoff({
      maxRetry: options.connectOptions.maxRetry,
      retryIntervalMs: options.connectOptions.retryIntervalMs,
      maxIntervalMs: options.maxIntervalMs ?? 30_000,
      stableAfterMs: options.stableAfterMs ?? 5_000,
    });
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (options.signal?.aborted) this.#onAbort();
  }

  get state(): ReconnectingSocketState {
    return this.#state;
  }

  /** Settles once: resolves on a clean end or close, rejects with the reason it gave up. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /**
   * Opens the first connection, retrying per the options. Resolves when it
   * is open; rejects with the permanent error, or the last error once
   * retries run out (and then `done` rejects with the same). Rejects with
   * `StreamClosedError` if closed before the first connection opened.
   * Calling it again returns the same promise.
   */
  open(): Promise<void> {
    if (this.#state === 'idle') {
      this.#state = 'connecting';
      this.#run().catch((error: unknown) => this.#finish(toAPIError(error, this.#label)));
    }
    return this.#opened.promise;
  }

  /**
   * Sends now if open; otherwise keeps the message in the bounded replay
   * buffer, sent in order after the next `onOpen`. Throws
   * `StreamClosedError` once ending or closed. A message handed to a
   * connection that dies before writing it goes back to the buffer.
   */
  send(data: string | Uint8Array): void {
    if (this.#state === 'ending' || this.#state === 'closed') {
      throw new StreamClosedError(
        `${this.#label}: cannot send after the socket was ${this.#state === 'closed' ? 'closed' : 'ended'}`,
      );
    }
    const item = message(data);
    if (this.#state === 'open' && this.#connection) this.#connection.send(data, item);
    else this.#buffer.push(item);
  }

  /**
   * Arms a deadline: if no message arrives within `timeoutMs`, the
   * connection is treated as dropped (stalled provider). Any message
   * disarms it; so does a drop. Called while down, it is armed when the
   * next connection opens. Call it after asking for something (Finalize, a flush).
   */
  expectReply(timeoutMs: number): void {
    const connection = this.#connection;
    if (this.#state === 'closed') return;
    if (!connection) {
      this.#replyMs = Math.min(timeoutMs, this.#replyMs ?? timeoutMs);
      return;
    }
    connection.expectReply(
      timeoutMs,
      () =>
        new APITimeoutError(`${this.#label}: no message from the server within ${timeoutMs} ms`),
    );
  }

  /**
   * Ends cleanly: sends `finalMessage` (if given; otherwise a close frame)
   * and waits for the server to close the connection cleanly (1000, or 1005:
   * no code) after its last messages, all of which reach `onMessage`.
   *
   * All of it happens within `timeoutMs` of this call. A drop meanwhile (any
   * other close, an error, a failed send), like being down when `end()` is
   * called, reconnects as usual: `onLost`, backoff, a new connection,
   * `onOpen` (where the caller restores its state, e.g. replays unsettled
   * audio), the replay buffer, then `finalMessage` again; then it waits for
   * the clean close of that connection. So the server gets `finalMessage`
   * once per connection, and the caller's last messages come from the
   * connection that closed cleanly.
   *
   * Resolves after the clean close; or at the deadline, with a warning log
   * (the socket is terminated; the warning names the buffered messages lost,
   * if the final message was not delivered). Rejects, as `done` does, if the
   * socket gives up meanwhile: a permanent error, or `maxRetry` failures in a
   * row (a connection dropped within `stableAfterMs` of opening counts as one).
   */
  end(options: { finalMessage?: string | Uint8Array; timeoutMs: number }): Promise<void> {
    if (this.#ending) return this.#ending.result.promise;
    if (this.#state === 'idle') return this.close();
    if (this.#state === 'closed') return this.#done.promise;
    const ending: Ending = {
      finalMessage: options.finalMessage,
      timeoutMs: options.timeoutMs,
      sent: false,
      drops: 0,
      result: new Future<void>(),
      timer: setTimeout(() => this.#endExpired(), options.timeoutMs),
    };
    this.#ending = ending;
    this.#state = 'ending';
    if (this.#connection) this.#sendEnd(this.#connection);
    return ending.result.promise;
  }

  /**
   * Closes at once: pending waits settle (`open()` rejects with
   * `StreamClosedError` if it had not opened, `end()` and `done` resolve),
   * buffered messages are dropped, and the socket gets a close frame (1000).
   * The promise resolves when the server answered it, or after a short
   * deadline that destroys the socket. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const connection = this.#connection;
      this.#finish();
      await connection?.close(1000, CLOSE_HANDSHAKE_MS);
    })();
    return this.#closing;
  }

  get #label(): string {
    return this.#options.label;
  }

  readonly #onAbort = (): void => {
    void this.close();
  };

  /** Connects, serves and reconnects until the socket is over. */
  async #run(): Promise<void> {
    let downSince: number | undefined;
    while (!this.#stop.signal.aborted) {
      let error: APIError;
      try {
        const connection = await this.#connect();
        this.#backoff.connected();
        if (downSince !== undefined) {
          const downtimeMs = Math.round(performance.now() - downSince);
          log().info({ label: this.#label, downtimeMs }, `${this.#label}: reconnected`);
          this.#metric('reconnected', { downtimeMs });
          downSince = undefined;
        }
        this.#opened.resolve();
        error = await connection.lost.promise;
        this.#connection = undefined;
        this.#buffer.unshift(connection.takeUnwritten());
        if (this.#stop.signal.aborted) return;
        if (this.#ending?.sent) {
          if (connection.closeCode === 1000 || connection.closeCode === 1005) {
            this.#finish();
            return;
          }
          // Dropped before the server's goodbye: its last messages are owed on a new connection.
          this.#ending.sent = false;
          this.#ending.drops++;
        }
        if (!this.#ending) this.#state = 'waiting';
        try {
          this.#options.onLost?.(error);
        } catch (thrown) {
          log().error({ label: this.#label, error: errorMessage(thrown) }, 'onLost threw');
        }
        // onLost closed the socket (nothing to restore): no retry, so no `lost` metric.
        if (this.#stop.signal.aborted) return;
      } catch (thrown) {
        if (this.#stop.signal.aborted) return;
        error = toAPIError(thrown, this.#label);
      }
      downSince ??= performance.now();
      const delayMs = error.retryable ? this.#backoff.failed(error) : undefined;
      if (delayMs === undefined) {
        this.#giveUp(error);
        return;
      }
      const attempt = this.#backoff.failures;
      log().warn(
        {
          label: this.#label,
          attempt,
          maxRetry: this.#options.connectOptions.maxRetry,
          delayMs: Math.round(delayMs),
          error: error.message,
        },
        `${this.#label}: connection failed; reconnecting`,
      );
      this.#metric('lost', { attempt, delayMs: Math.round(delayMs), error: error.message });
      if (this.#state !== 'ending') this.#state = 'waiting';
      try {
        await sleep(delayMs, this.#stop.signal);
      } catch {
        return;
      }
      if (this.#state !== 'ending') this.#state = 'connecting';
    }
  }

  /** One attempt, within `timeoutMs`: dial, `onOpen`, replay. Resolves with the serving connection. */
  async #connect(): Promise<Connection> {
    const { timeoutMs } = this.#options.connectOptions;
    const attempt = new AbortController();
    const stopAttempt = () => attempt.abort(this.#stop.signal.reason);
    this.#stop.signal.addEventListener('abort', stopAttempt, { once: true });
    let connection: Connection | undefined;
    let inOnOpen = false;
    try {
      return await withDeadline(
        (async () => {
          const request = await this.#options.request();
          attempt.signal.throwIfAborted();
          connection = await dial(request, {
            label: this.#label,
            signal: attempt.signal,
            describeRefusal: (refusal, url) =>
              this.#options.describeRefusal?.(refusal) ??
              defaultRefusalError(refusal, {
                label: this.#label,
                url,
                apiKeyName: this.#options.apiKeyName,
              }),
            onMessage: this.#deliver,
          });
          const opened = connection;
          const generation = this.#generation++;
          const lost = opened.lost.promise.then((error) => Promise.reject(error));
          // Handled here: a drop after onOpen is the serving loop's business.
          lost.catch(() => {});
          const { onOpen } = this.#options;
          inOnOpen = true;
          await Promise.race([
            (async () =>
              onOpen?.({
                send: (data) => opened.sendIfLive(data),
                get bufferedAmount() {
                  return opened.bufferedAmount;
                },
                drained: (bytes, stallMs) => opened.drained(bytes, stallMs),
                generation,
              }))(),
            lost,
          ]);
          inOnOpen = false;
          attempt.signal.throwIfAborted();
          if (opened.lost.done) await lost;
          this.#serve(opened);
          return opened;
        })(),
        timeoutMs,
        `${this.#label}: no connection within ${timeoutMs} ms`,
        this.#stop.signal,
      );
    } catch (error) {
      attempt.abort(error);
      connection?.terminate();
      if (error instanceof DeadlineError) {
        throw new APITimeoutError(
          `${this.#label}: could not connect within ${timeoutMs} ms (connectOptions.timeoutMs)`,
        );
      }
      if (!inOnOpen || error instanceof APIError || this.#stop.signal.aborted) throw error;
      // onOpen failed: a failed attempt, worth another one.
      throw new APIConnectionError(`${this.#label}: onOpen failed: ${errorMessage(error)}`, {
        cause: error,
      });
    } finally {
      this.#stop.signal.removeEventListener('abort', stopAttempt);
    }
  }

  /** The connection is open and restored: replay what waited, then serve. Synchronous, so nothing interleaves. */
  #serve(connection: Connection): void {
    this.#connection = connection;
    const dropped = this.#buffer.takeDropped();
    if (dropped.messages > 0) this.#warnDropped(dropped, 'while disconnected');
    for (const item of this.#buffer.drain()) connection.send(item.data, item);
    if (this.#replyMs !== undefined) {
      this.expectReply(this.#replyMs);
      this.#replyMs = undefined;
    }
    if (this.#ending) {
      this.#sendEnd(connection);
      return;
    }
    this.#state = 'open';
    const { keepalive } = this.#options;
    if (keepalive) connection.startKeepalive(keepalive.intervalMs, keepalive.message);
  }

  #sendEnd(connection: Connection): void {
    const ending = this.#ending!;
    ending.sent = true;
    connection.sendEnd(ending.finalMessage);
  }

  readonly #deliver = (data: string | Uint8Array, isBinary: boolean): void => {
    if (this.#state === 'closed') return;
    try {
      this.#options.onMessage(data, isBinary);
    } catch (error) {
      log().error({ label: this.#label, error: errorMessage(error) }, 'onMessage threw');
    }
  };

  #endExpired(): void {
    const ending = this.#ending;
    if (!ending || this.#state === 'closed') return;
    const { timeoutMs, drops } = ending;
    const dropped = drops > 0 ? `; the connection dropped ${drops} times while ending` : '';
    if (ending.sent) {
      log().warn(
        { label: this.#label, timeoutMs, drops },
        `${this.#label}: the server did not close within ${timeoutMs} ms of the end${dropped}; ` +
          'closing the socket (its last messages may be missing)',
      );
    } else {
      const final = ending.finalMessage === undefined ? '' : ' and the final message';
      const lost = this.#buffer;
      log().warn(
        { label: this.#label, timeoutMs, drops, lostMessages: lost.length, lostBytes: lost.bytes },
        `${this.#label}: could not reconnect within ${timeoutMs} ms to end the stream${dropped}; ` +
          `lost ${lost.length} buffered messages (${lost.bytes} bytes)${final}` +
          (drops > 0 ? " and the server's last messages" : ''),
      );
    }
    this.#connection?.terminate();
    this.#finish();
  }

  #giveUp(error: APIError): void {
    const attempt = this.#backoff.failures;
    const lost =
      this.#buffer.length > 0
        ? `; dropped ${this.#buffer.length} buffered messages (${this.#buffer.bytes} bytes)`
        : '';
    log().warn(
      { label: this.#label, attempt, error: error.message },
      `${this.#label}: giving up on the connection (${error.retryable ? `${attempt} failures in a row` : 'permanent error'})${lost}`,
    );
    this.#metric('gave_up', { attempt, error: error.message });
    this.#finish(error);
  }

  /** Over for good: settles every wait, stops timers and attempts. Idempotent. */
  #finish(error?: APIError): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#stop.abort(new StreamClosedError(`${this.#label}: closed`));
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    const dropped = this.#buffer.takeDropped();
    if (dropped.messages > 0) this.#warnDropped(dropped, 'before the socket closed');
    this.#buffer.drain();
    const ending = this.#ending;
    if (ending) clearTimeout(ending.timer);
    this.#opened.reject(error ?? new StreamClosedError(`${this.#label}: closed before it opened`));
    if (error) {
      this.#done.reject(error);
      ending?.result.reject(error);
    } else {
      this.#done.resolve();
      ending?.result.resolve();
    }
  }

  #warnDropped(dropped: { messages: number; bytes: number }, when: string): void {
    log().warn(
      { label: this.#label, droppedMessages: dropped.messages, droppedBytes: dropped.bytes },
      `${this.#label}: the replay buffer (bufferLimitBytes ${this.#options.bufferLimitBytes}) overflowed ${when}: ` +
        `dropped the oldest ${dropped.messages} messages (${dropped.bytes} bytes)`,
    );
  }

  #metric(event: ConnectionMetrics['event'], fields: Partial<ConnectionMetrics>): void {
    try {
      this.#options.onMetrics?.({
        type: 'connection',
        label: this.#label,
        requestId: '',
        timestamp: Date.now(),
        event,
        attempt: this.#backoff.failures,
        ...fields,
      });
    } catch (error) {
      log().error({ label: this.#label, error: errorMessage(error) }, 'onMetrics threw');
    }
  }
}

/** The close handshake of `close()` may take this long; then the socket is destroyed. */
const CLOSE_HANDSHAKE_MS = 2_000;

interface Ending {
  finalMessage: string | Uint8Array | undefined;
  timeoutMs: number;
  /** The final message (or our close frame) went out on the current connection: what follows is the server's goodbye. */
  sent: boolean;
  /** Connections lost while ending, after the final message went out on them. */
  drops: number;
  result: Future<void>;
  timer: ReturnType<typeof setTimeout>;
}

function toAPIError(error: unknown, label: string): APIError {
  if (error instanceof APIError) return error;
  // A failure of our own code or of `request()`: retrying would fail the same way.
  return new APIError(`${label}: ${errorMessage(error)}`, { cause: error, retryable: false });
}
