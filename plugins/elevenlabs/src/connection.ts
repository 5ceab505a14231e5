import { APIConnectionError, type APIError, log, plugin, type tts } from '@agents/core';
import type { Alignment } from './alignment.js';
import { httpError, isAuthError, serverError } from './errors.js';
import {
  CLOSE_SOCKET_MESSAGE,
  closeContextMessage,
  keepaliveMessage,
  openContextMessage,
  parseServerMessage,
  streamURL,
  textMessage,
} from './messages.js';
import type { ResolvedOptions } from './options.js';

/** What a context hands its stream, in the order the service sent it. */
export type ContextEvent =
  | { type: 'audio'; audio: Buffer; normalized: Alignment | undefined }
  /** The context was opened again on a new connection; its alignment times restart at 0. */
  | { type: 'resumed' }
  | { type: 'final' }
  | { type: 'error'; error: APIError };

/** One context (a segment of a stream) on the shared socket. */
export class Context {
  /** Text handed to the service so far, the opening space excluded. */
  textSent = '';
  /** Flush and close_context asked for: no more text will come. */
  ended = false;
  audioReceived = false;
  /** The characters the audio received so far speaks, per the alignment over the text as sent. */
  covered = '';
  /** False once audio came without that alignment: the covered text is then unknown. */
  coverageKnown = true;
  /** The connection generation it is open on; -1 while the connection is down. */
  generation = -1;
  lastSentAt = 0;

  constructor(
    readonly id: string,
    readonly deliver: (event: ContextEvent) => void,
  ) {}
}

let contextCounter = 0;

/**
 * Contexts the service allows per socket; a sixth gets an error without a
 * context id and the socket closed, which would fail every stream on it.
 */
export const MAX_CONTEXTS = 5;

/**
 * The websocket to `multi-stream-input` that every stream of a TTS shares:
 * opened at the first context, kept warm between replies, one context per
 * segment. It is the only place that knows about connections: streams see
 * contexts and their events.
 *
 * Text goes on the wire only while the socket is open; each context keeps what
 * it sent, so after a drop it is opened again in full (no audio yet) or from
 * the first character its received audio does not cover.
 */
export class Connection {
  readonly options: ResolvedOptions;
  readonly #label: string;
  readonly #socket: plugin.ReconnectingSocket;
  readonly #contexts = new Map<string, Context>();
  readonly #keepaliveMs: number;
  /**
   * The open connection, from `onOpen` until it is lost (after which it sends
   * nothing). Every message goes through it, never through the socket's replay
   * buffer (turned off: `bufferLimitBytes: 0`): contexts replay their own text,
   * and a message the buffer also replayed would be spoken twice.
   */
  #wire: plugin.OpenSocket | undefined;
  #retiring = false;
  #dead = false;

  constructor(options: ResolvedOptions, owner: tts.TTS) {
    this.options = options;
    this.#label = owner.label;
    // A third of the service's timeout: two keepalives may be late before it cuts.
    this.#keepaliveMs = Math.min(10_000, (options.inactivityTimeout * 1000) / 3);
    this.#socket = new plugin.ReconnectingSocket({
      label: owner.label,
      request: () => ({
        url: streamURL(options),
        headers: { 'xi-api-key': options.apiKey },
      }),
      connectOptions: options.connect,
      apiKeyName: 'ELEVEN_API_KEY',
      describeRefusal: (refusal) =>
        httpError(refusal.status, refusal.body, (name) => {
          const value = refusal.headers[name];
          return Array.isArray(value) ? value[0] : value;
        }),
      keepalive: { intervalMs: this.#keepaliveMs, message: () => this.#keepalive() },
      // Unused: contexts replay their own text (onOpen), and nothing is sent while down.
      bufferLimitBytes: 0,
      onOpen: (socket) => this.#onOpen(socket),
      onMessage: (data) => this.#onMessage(data),
      onLost: () => this.#onLost(),
      onMetrics: (metrics) => owner.emit('metrics_collected', metrics),
    });
    this.#socket.done.then(
      () => this.#failAll(new APIConnectionError(`${this.#label}: the connection was closed`)),
      (error: APIError) => this.#failAll(error),
    );
    this.#socket.open().catch(() => {
      // Reported through `done`, to every context.
    });
  }

  /** Closed, or given up: holds nothing any more. */
  get closed(): boolean {
    return this.#dead;
  }

  /** False once closed, given up, replaced or full: new contexts need a new connection. */
  get usable(): boolean {
    return !this.#dead && !this.#retiring && this.#contexts.size < MAX_CONTEXTS;
  }

  openContext(deliver: (event: ContextEvent) => void): Context {
    if (!this.usable) throw new Error('openContext() on a connection that is not usable');
    const context = new Context(`ctx_${++contextCounter}_${Date.now().toString(36)}`, deliver);
    this.#contexts.set(context.id, context);
    if (this.#wire) {
      context.generation = this.#wire.generation;
      this.#send(context, openContextMessage(context.id, this.options));
    }
    return context;
  }

  /** Adds text to the context. */
  sendText(context: Context, text: string): void {
    if (context.ended) throw new Error('sendText() after endContext()');
    // Failed or released: text for an id the service no longer knows would open a new context there.
    if (!this.#contexts.has(context.id)) return;
    context.textSent += text;
    if (this.#isLive(context)) this.#send(context, textMessage(context.id, text));
  }

  /** Generates what is buffered and ends the context: its audio, then `final`. */
  endContext(context: Context): void {
    if (context.ended || !this.#contexts.has(context.id)) return;
    context.ended = true;
    if (this.#isLive(context)) this.#sendEnd(context);
  }

  /**
   * Forgets the context; if it is still running on the service (a stream
   * closed mid-segment), asks the service to end it. Later messages for it
   * are ignored.
   */
  releaseContext(context: Context): void {
    if (!this.#contexts.delete(context.id)) return;
    if (this.#isLive(context) && !context.ended) {
      context.ended = true;
      this.#send(context, closeContextMessage(context.id));
    }
    if (this.#retiring && this.#contexts.size === 0) void this.close();
  }

  /** New contexts go elsewhere; this one ends once its contexts are released. */
  retire(): void {
    this.#retiring = true;
    if (this.#contexts.size === 0) void this.close();
  }

  /** Ends the socket cleanly (close_socket, then the service closes), with a deadline. */
  async close(): Promise<void> {
    if (this.#dead) return;
    this.#dead = true;
    const reason = new APIConnectionError(`${this.#label} was closed`, { retryable: false });
    this.#failAll(reason);
    // Ended cleanly only on a live connection: while down, there is nothing to wait for.
    if (this.#wire) {
      await this.#socket.end({
        finalMessage: CLOSE_SOCKET_MESSAGE,
        timeoutMs: this.options.connect.timeoutMs,
      });
    } else {
      await this.#socket.close();
    }
  }

  #isLive(context: Context): boolean {
    return this.#wire !== undefined && context.generation === this.#wire.generation;
  }

  #send(context: Context, message: string): void {
    context.lastSentAt = performance.now();
    this.#wire?.send(message);
    // A context waiting on its LLM while another one talks still needs its clock reset.
    for (const other of this.#contexts.values()) {
      if (other !== context && this.#needsKeepalive(other, context.lastSentAt)) {
        other.lastSentAt = context.lastSentAt;
        this.#wire?.send(keepaliveMessage(other.id));
      }
    }
  }

  #sendEnd(context: Context): void {
    this.#send(context, textMessage(context.id, '', true));
    this.#send(context, closeContextMessage(context.id));
    this.#expectAudio();
  }

  /**
   * While a context waits for its audio, a service that goes silent for
   * `connectOptions.timeoutMs` counts as a dropped connection (reconnect,
   * then replay or resume), instead of a stream that hangs.
   */
  #expectAudio(): void {
    for (const context of this.#contexts.values()) {
      if (context.ended && this.#isLive(context)) {
        this.#socket.expectReply(this.options.connect.timeoutMs);
        return;
      }
    }
  }

  #needsKeepalive(context: Context, now: number): boolean {
    // Not after close_context: a message for an ended context would open a new one.
    return !context.ended && this.#isLive(context) && now - context.lastSentAt >= this.#keepaliveMs;
  }

  /** Only while contexts wait for text: an idle socket may time out, and is reopened when needed. */
  #keepalive(): string | undefined {
    const waiting = [...this.#contexts.values()].filter((c) => !c.ended && this.#isLive(c));
    const now = performance.now();
    for (const context of waiting.slice(1)) {
      context.lastSentAt = now;
      this.#wire?.send(keepaliveMessage(context.id));
    }
    const first = waiting[0];
    if (!first) return undefined;
    first.lastSentAt = now;
    return keepaliveMessage(first.id);
  }

  #onOpen(socket: plugin.OpenSocket): void {
    this.#wire = socket;
    for (const context of [...this.#contexts.values()]) {
      const messages = this.#replay(context);
      if (!messages) continue;
      context.generation = socket.generation;
      context.lastSentAt = performance.now();
      for (const message of messages) socket.send(message);
    }
    this.#expectAudio();
  }

  /**
   * What opens the context again on a new connection. Without audio yet, all
   * of its text. With audio, the text its audio does not cover yet, when the
   * alignment over the text as sent tells exactly where that starts (it then
   * continues mid-reply with nothing repeated or lost); otherwise the stream
   * fails with a retryable APIConnectionError, since either would happen.
   */
  #replay(context: Context): string[] | undefined {
    let text = context.textSent;
    if (context.audioReceived) {
      const sent = context.textSent.trimStart();
      const covered = context.covered.trimStart();
      if (!context.coverageKnown || !sent.startsWith(covered)) {
        this.#fail(
          context,
          new APIConnectionError(
            `${this.#label}: the connection dropped mid-reply and the audio already received ` +
              'cannot be matched exactly to the text, so the reply cannot resume without ' +
              'repeating or skipping words',
          ),
        );
        return undefined;
      }
      text = sent.slice(covered.length);
      if (context.ended && text.trim() === '') {
        // All of it was spoken before the drop: nothing to ask for.
        this.#contexts.delete(context.id);
        context.deliver({ type: 'final' });
        return undefined;
      }
      context.deliver({ type: 'resumed' });
    }
    const messages = [openContextMessage(context.id, this.options)];
    if (text !== '') messages.push(textMessage(context.id, text));
    if (context.ended) {
      messages.push(textMessage(context.id, '', true), closeContextMessage(context.id));
    }
    return messages;
  }

  #onLost(): void {
    this.#wire = undefined;
    for (const context of this.#contexts.values()) context.generation = -1;
    // Closing (its contexts already failed, so close_socket owes nothing): reconnecting
    // only to say goodbye again would be a wasted connection.
    if (this.#dead) void this.#socket.close();
    // Nobody is waiting: let it go rather than keep a connection alive for nothing
    // (the service closes an idle one after inactivityTimeout); the next stream opens another.
    else if (this.#contexts.size === 0) void this.close();
  }

  #onMessage(data: string | Uint8Array): void {
    const message = parseServerMessage(data);
    if (!message) {
      log().warn({ model: this.#label }, `${this.#label}: ignored a message that is not JSON`);
      return;
    }
    const context = message.contextId ? this.#contexts.get(message.contextId) : undefined;
    if (message.error) {
      const error = serverError(message.error);
      if (context) {
        this.#fail(context, error);
      } else if (isAuthError(error)) {
        for (const c of [...this.#contexts.values()]) this.#fail(c, error);
        void this.close();
      } else {
        log().warn(
          { model: this.#label, error: message.error },
          `${this.#label}: the service reported an error: ${message.error.message}`,
        );
      }
      return;
    }
    if (!context) {
      // Audio or isFinal of a context released mid-reply.
      if (message.contextId) log().debug({ context: message.contextId }, 'late message ignored');
      return;
    }
    if (message.audio && message.audio.length > 0) {
      context.audioReceived = true;
      if (message.original) context.covered += message.original.chars.join('');
      else context.coverageKnown = false;
      context.deliver({ type: 'audio', audio: message.audio, normalized: message.normalized });
    }
    if (message.isFinal) {
      this.#contexts.delete(context.id);
      context.deliver({ type: 'final' });
    }
    // Any message disarmed the deadline; audio still owed arms it again.
    this.#expectAudio();
  }

  #fail(context: Context, error: APIError): void {
    this.#contexts.delete(context.id);
    context.deliver({ type: 'error', error });
  }

  #failAll(error: APIError): void {
    this.#dead = true;
    for (const context of [...this.#contexts.values()]) this.#fail(context, error);
  }
}
