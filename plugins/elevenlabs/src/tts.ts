import { tts, utils } from '@agents/core';
import { ElevenLabsChunkedStream } from './chunked.js';
import { Connection } from './connection.js';
import { type AudioDecoder, createDecoder } from './decoder.js';
import { listVoices } from './http.js';
import { sampleRateOf, type TTSEncoding, type Voice } from './models.js';
import {
  type ResolvedOptions,
  resolveOptions,
  resolveSessionOptions,
  type SessionOptions,
  type TTSOptions,
} from './options.js';
import { ElevenLabsStream } from './stream.js';

const LABEL = 'elevenlabs.TTS';

/**
 * ElevenLabs text-to-speech. `stream()` speaks text as it arrives over one
 * websocket per TTS (`multi-stream-input`), shared by every stream and
 * segment, so back-to-back replies start on a warm connection; its audio
 * carries word timings. `synthesize()` uses the HTTP streaming endpoint.
 */
export class TTS extends tts.TTS {
  readonly label = LABEL;
  #options: ResolvedOptions;
  #connection: Connection | undefined;
  /** Connections replaced by `updateOptions()` that still finish their contexts. */
  readonly #retired = new Set<Connection>();
  #closed = false;

  constructor(options: TTSOptions = {}) {
    const resolved = resolveOptions(options, LABEL);
    super({
      sampleRate: sampleRateOf(resolved.encoding),
      numChannels: 1,
      capabilities: { streaming: true },
    });
    this.#options = resolved;
  }

  get voice(): string {
    return this.#options.voice;
  }

  get model(): string {
    return this.#options.model;
  }

  get encoding(): TTSEncoding {
    return this.#options.encoding;
  }

  /**
   * Changes the voice, model, language or voice settings for the next
   * segments. Segments already sent finish as they were; the next ones use a
   * new connection, since the service fixes these per connection.
   */
  updateOptions(options: Partial<SessionOptions>): void {
    const session = resolveSessionOptions({ ...this.#options, ...options }, LABEL);
    const before = this.#options;
    this.#options = { ...before, ...session };
    const changed = (['voice', 'model', 'languageCode', 'voiceSettings'] as const).some(
      (key) => JSON.stringify(before[key]) !== JSON.stringify(session[key]),
    );
    if (!changed) return;
    if (this.#connection) {
      this.#connection.retire();
      this.#retired.add(this.#connection);
      this.#connection = undefined;
    }
  }

  override stream(): tts.SynthesizeStream {
    return new ElevenLabsStream(
      this,
      () => this.#currentConnection(),
      () => this.#decoder(),
    );
  }

  synthesize(text: string, options?: tts.SynthesizeOptions): tts.ChunkedStream {
    return new ElevenLabsChunkedStream(this, text, options, {
      options: this.#options,
      decoder: () => this.#decoder(),
    });
  }

  /** The voices of the account (`GET /voices`). */
  listVoices(options: { signal?: AbortSignal } = {}): Promise<Voice[]> {
    return listVoices(this.#options, LABEL, options.signal);
  }

  /** Ends the shared connection (open streams fail) and forgets it. */
  override async close(): Promise<void> {
    this.#closed = true;
    const connections = [...this.#retired, ...(this.#connection ? [this.#connection] : [])];
    this.#connection = undefined;
    this.#retired.clear();
    await Promise.all(connections.map((c) => c.close()));
  }

  #currentConnection(): Connection {
    if (this.#closed) throw new utils.StreamClosedError(`${LABEL} was closed`);
    for (const old of this.#retired) if (old.closed) this.#retired.delete(old);
    if (!this.#connection?.usable) {
      // Replaced when it failed, or when it is full: the full one ends once its
      // contexts have (more than MAX_CONTEXTS at once is rare: simultaneous streams).
      if (this.#connection) {
        this.#connection.retire();
        this.#retired.add(this.#connection);
      }
      this.#connection = new Connection(this.#options, this);
    }
    return this.#connection;
  }

  #decoder(): AudioDecoder {
    return createDecoder(this.#options.encoding);
  }
}
