import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { WebSocket } from 'ws';
import { type AudioChunk, chunkGeneration, synthesizePcm } from './audio.js';
import { TextBuffer } from './context.js';
import type { ElevenLabsConnection, ElevenLabsLatency } from './types.js';

/** What a session needs from the stand-in. */
export interface SessionOptions {
  connection: ElevenLabsConnection;
  sampleRate: number;
  inactivityTimeoutMs: number;
  maxContexts: number;
  autoMode: boolean;
  alignmentTimes: 'chunk' | 'context';
  latency: ElevenLabsLatency;
  /** False when the upgrade carried no key: then the first message must. */
  authenticated: boolean;
  acceptsKey(key: string): boolean;
  scriptedPcm(text: string, sampleRate: number): Int16Array | undefined;
  /** Keep audio in `connection.sent`; false logs its length only. */
  logAudio: boolean;
}

type Message = Record<string, unknown>;

/** One synthesis context: a segment's text, its generations in order, its idle clock. */
interface Context {
  readonly id: string | undefined;
  readonly text: TextBuffer;
  voiceSettings: unknown;
  /** Generations run one after another; this is the last one queued. */
  work: Promise<void>;
  busy: number;
  closing: boolean;
  sentSamples: number;
  timer: NodeJS.Timeout | undefined;
}

/** `code` 1008 (policy violation) is what the service closes with for every error it reports. */
const POLICY = 1008;

/**
 * One websocket on `multi-stream-input` (contexts named by `context_id`) or
 * `stream-input` (one implicit context, ended by `{"text": ""}`). Text is
 * buffered per context and spoken when flushed, at a sentence end (auto_mode),
 * when the chunk schedule fills, or at the context's end; each generation is
 * sent as several audio messages with alignment, then `isFinal` once a
 * closed context has sent all its audio.
 */
export class TtsSession {
  readonly #ws: WebSocket;
  readonly #options: SessionOptions;
  readonly #connection: ElevenLabsConnection;
  readonly #multi: boolean;
  readonly #abort = new AbortController();
  /** Open contexts by id ('' for stream-input's only one). */
  readonly #open = new Map<string, Context>();
  /** Contexts the client closed whose audio is still going out; they count against the limit. */
  readonly #draining = new Set<Context>();
  #authenticated: boolean;
  #socketTimer: NodeJS.Timeout | undefined;
  #ending = false;
  #stalled = false;
  #malformedSent = false;
  #firstAudioSent = false;
  #generation = 0;

  constructor(ws: WebSocket, options: SessionOptions) {
    this.#ws = ws;
    this.#options = options;
    this.#connection = options.connection;
    this.#multi = options.connection.kind === 'multi-stream-input';
    this.#authenticated = options.authenticated;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.#onText(data.toString());
    });
    ws.on('close', () => this.#stop());
    ws.on('error', () => this.#stop());
    this.#armSocketTimer();
  }

  /** Contexts the client has not closed (draining ones are closed: their audio is leftover). */
  get openContexts(): number {
    return this.#open.size;
  }

  /** A wrong key on the upgrade, answered after it (`socketAuthFailure: 'close-1008'`). */
  rejectKey(): void {
    this.#fail('Invalid API key.', 'invalid_api_key');
  }

  /** Stops all work and timers; the socket is the caller's to close or cut. */
  #stop(): void {
    this.#abort.abort();
    clearTimeout(this.#socketTimer);
    for (const context of [...this.#open.values(), ...this.#draining]) clearTimeout(context.timer);
  }

  #onText(raw: string): void {
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      this.#connection.messages.push(raw);
      this.#fail('Invalid JSON message received.', 'invalid_request');
      return;
    }
    this.#connection.messages.push(message);
    if (this.#stalled || this.#abort.signal.aborted || this.#ending) return;
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.#fail('Messages must be JSON objects.', 'invalid_request');
      return;
    }
    const msg = message as Message;
    if (!this.#authenticated && !this.#authenticate(msg)) return;
    this.#armSocketTimer();
    if (this.#multi) this.#onMultiMessage(msg);
    else this.#onSingleMessage(msg);
  }

  /** A key in the first message (`xi_api_key`, `xi-api-key` or `authorization`). */
  #authenticate(msg: Message): boolean {
    const raw = msg.xi_api_key ?? msg['xi-api-key'] ?? msg.authorization;
    const key = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '') : '';
    if (key !== '' && this.#options.acceptsKey(key)) {
      this.#authenticated = true;
      return true;
    }
    const message =
      key === ''
        ? 'Neither an xi-api-key header nor a key in the first message was received; send the ' +
          'xi-api-key header (or xi_api_key in the first message).'
        : 'Invalid API key.';
    this.#fail(message, 'invalid_api_key');
    return false;
  }

  #onMultiMessage(msg: Message): void {
    if (msg.close_socket === true) {
      this.#closeSocket();
      return;
    }
    const id = typeof msg.context_id === 'string' ? msg.context_id : '';
    let context = this.#open.get(id);
    if (msg.close_context === true) {
      if (context) this.#closeContext(context);
      return;
    }
    context ??= this.#openContext(id, msg);
    if (!context) return;
    this.#receive(context, msg);
  }

  #onSingleMessage(msg: Message): void {
    const context = this.#open.get('') ?? this.#openContext(undefined, msg);
    if (!context) return;
    if (msg.text === '') {
      // End of input: speak the rest, send isFinal, then close normally.
      this.#ending = true;
      this.#closeContext(context, () => this.#ws.close(1000));
      return;
    }
    this.#receive(context, msg);
  }

  #openContext(id: string | undefined, msg: Message): Context | undefined {
    const limit = this.#options.maxContexts;
    if (this.#open.size + this.#draining.size >= limit) {
      this.#fail(
        `Maximum simultaneous contexts per WebSocket connection exceeded (${limit}). ` +
          'Please close an existing context before opening a new one.',
        'max_active_conversations',
      );
      return undefined;
    }
    const config = msg.generation_config as { chunk_length_schedule?: unknown } | undefined;
    const schedule = Array.isArray(config?.chunk_length_schedule)
      ? config.chunk_length_schedule.filter((n): n is number => typeof n === 'number')
      : undefined;
    const context: Context = {
      id,
      text: new TextBuffer(this.#options.autoMode, schedule),
      voiceSettings: msg.voice_settings,
      work: Promise.resolve(),
      busy: 0,
      closing: false,
      sentSamples: 0,
      timer: undefined,
    };
    this.#open.set(id ?? '', context);
    return context;
  }

  #receive(context: Context, msg: Message): void {
    if (msg.voice_settings !== undefined) {
      if (context.voiceSettings === undefined) context.voiceSettings = msg.voice_settings;
      else if (!isDeepStrictEqual(context.voiceSettings, msg.voice_settings)) {
        this.#fail(
          'voice_settings field must be provided in the first message and then either be not ' +
            'provided or not change.',
          'invalid_request',
          context.id,
        );
        return;
      }
    }
    this.#armContextTimer(context);
    const due = typeof msg.text === 'string' ? context.text.push(msg.text) : undefined;
    if (due !== undefined) this.#speak(context, due);
    if (msg.flush === true) {
      const rest = context.text.takeAll();
      if (rest !== undefined) this.#speak(context, rest);
    }
  }

  /** Speaks what is left, then sends isFinal once all the context's audio is out. */
  #closeContext(context: Context, then?: () => void): void {
    context.closing = true;
    clearTimeout(context.timer);
    this.#open.delete(context.id ?? '');
    this.#draining.add(context);
    const rest = context.text.takeAll();
    if (rest !== undefined) this.#speak(context, rest);
    context.work = context.work.then(() => {
      if (this.#abort.signal.aborted || this.#stalled) return;
      this.#draining.delete(context);
      this.#send(
        context.id === undefined ? { isFinal: true } : { isFinal: true, contextId: context.id },
      );
      then?.();
    });
  }

  /** `close_socket`: every context ends as if closed, then a normal close. */
  #closeSocket(): void {
    this.#ending = true;
    const contexts = [...this.#open.values()];
    for (const context of contexts) this.#closeContext(context);
    const all = [...this.#draining].map((context) => context.work);
    void Promise.all(all).then(() => {
      if (!this.#abort.signal.aborted && !this.#stalled) this.#ws.close(1000);
    });
  }

  #speak(context: Context, text: string): void {
    context.busy += 1;
    const generation = this.#generation++;
    context.work = context.work
      .then(() => this.#generate(context, text, generation))
      .catch(() => undefined) // aborted: the socket is gone
      .finally(() => {
        context.busy -= 1;
      });
  }

  async #generate(context: Context, text: string, generation: number): Promise<void> {
    const { sampleRate, latency, alignmentTimes } = this.#options;
    const chars = Array.from(text);
    const pcm = this.#options.scriptedPcm(text, sampleRate) ?? synthesizePcm(chars, sampleRate);
    const chunks = chunkGeneration(chars, pcm, sampleRate, alignmentTimes, context.sentSamples);
    context.sentSamples += pcm.length;
    const jitter = latency.firstAudioJitterMs * pseudoRandom(this.#connection.id, generation);
    await this.#wait(latency.firstAudioMs + jitter);
    const fault = this.#connection.fault;
    if (!this.#firstAudioSent && fault?.fault === 'slow-first-byte')
      await this.#wait(fault.delayMs);
    for (const [index, chunk] of chunks.entries()) {
      if (index > 0) await this.#wait(latency.chunkIntervalMs);
      if (this.#abort.signal.aborted || this.#stalled) return;
      if (this.#faultStrikes()) return;
      this.#sendAudio(context, chunk);
    }
  }

  /** Applies a `drop` or `stall` once its share of audio went out. */
  #faultStrikes(): boolean {
    const fault = this.#connection.fault;
    if (fault?.fault !== 'drop' && fault?.fault !== 'stall') return false;
    if (this.#connection.audioMsSent < fault.afterAudioMs) return false;
    this.#connection.faultStruck = true;
    if (fault.fault === 'drop') {
      this.#stop();
      this.#ws.terminate();
    } else {
      this.#stalled = true;
      this.#stop();
    }
    return true;
  }

  #sendAudio(context: Context, chunk: AudioChunk): void {
    if (this.#connection.fault?.fault === 'malformed' && !this.#malformedSent) {
      this.#malformedSent = true;
      // A message cut short, as a broken proxy or a truncated frame would deliver it.
      this.#ws.send('{"audio":"UklGRiQAAABXQVZF","isFinal":nu');
      this.#connection.sent.push('<malformed>');
    }
    const bytes = Buffer.from(chunk.pcm.buffer, chunk.pcm.byteOffset, chunk.pcm.byteLength);
    this.#firstAudioSent = true;
    this.#connection.audioMsSent += chunk.durationMs;
    this.#send({
      audio: bytes.toString('base64'),
      isFinal: null,
      // The stand-in does not normalize text, so both alignments are over the text as sent.
      normalizedAlignment: chunk.alignment,
      alignment: chunk.alignment,
      ...(context.id === undefined ? {} : { contextId: context.id }),
    });
  }

  #send(message: Message): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    const { audio } = message;
    const logged =
      this.#options.logAudio || typeof audio !== 'string'
        ? message
        : { ...message, audio: `<${audio.length} base64 characters>` };
    this.#connection.sent.push(logged);
    this.#ws.send(JSON.stringify(message));
  }

  /** The service's error report: a JSON message, then a 1008 close whose reason repeats it. */
  #fail(message: string, error: string, contextId?: string): void {
    if (this.#abort.signal.aborted) return;
    this.#send({ message, error, code: POLICY, ...(contextId ? { context_id: contextId } : {}) });
    this.#stop();
    this.#ws.close(POLICY, closeReason(message));
  }

  /**
   * The idle clock of one context: text (a keepalive " " or "" included)
   * restarts it. It does not run down while the context is still speaking.
   */
  #armContextTimer(context: Context): void {
    clearTimeout(context.timer);
    context.timer = setTimeout(() => {
      if (context.busy > 0) {
        this.#armContextTimer(context);
        return;
      }
      this.#timeOut(context.id);
    }, this.#options.inactivityTimeoutMs);
  }

  /** The socket's own idle clock, for a socket with no open context. */
  #armSocketTimer(): void {
    clearTimeout(this.#socketTimer);
    this.#socketTimer = setTimeout(() => {
      if (this.#open.size > 0 || this.#draining.size > 0) {
        this.#armSocketTimer();
        return;
      }
      this.#timeOut(undefined);
    }, this.#options.inactivityTimeoutMs);
  }

  #timeOut(contextId: string | undefined): void {
    const seconds = (this.#options.inactivityTimeoutMs / 1000).toFixed(1);
    this.#fail(
      `Have not received a new text input within the timeout of ${seconds} seconds. Streaming ` +
        'input terminated. Please make sure to either feed the input in the timely manner, or ' +
        'to send the end of input text (empty string "") when done.',
      'input_timeout_exceeded',
      contextId,
    );
  }

  async #wait(ms: number): Promise<void> {
    if (ms <= 0) {
      // Yield, so other contexts and incoming messages interleave with a burst of audio.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    await sleep(ms, undefined, { signal: this.#abort.signal });
  }
}

/** A close reason may hold at most 123 bytes of UTF-8. */
function closeReason(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= 123) return message;
  return bytes
    .subarray(0, 123)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** A fixed number in [0, 1) per connection and generation, so 'realistic' runs repeat. */
function pseudoRandom(connection: number, generation: number): number {
  let x = (connection * 73_856_093) ^ (generation * 19_349_663) ^ 0x9e3779b9;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return (x >>> 0) / 2 ** 32;
}
