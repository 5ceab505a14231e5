import { log, type metrics, stt, utils } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { Connection } from './connection.js';
import type { ResolvedOptions } from './options.js';
import { TranscriptMapper } from './transcripts.js';

/** Audio per binary message: small enough for low latency, big enough to keep messages few. */
const CHUNK_SECONDS = 0.05;
/** Events mapped but not yet handed on, when the consumer reads slower than Deepgram answers. */
const EVENT_CAPACITY = 1024;

export interface DeepgramStreamInit {
  label: string;
  language: string;
  /** The STT's options now, and a version that changes with `updateOptions()`. */
  currentOptions: () => { options: ResolvedOptions; version: number };
  onMetrics: (metrics: metrics.ConnectionMetrics) => void;
}

/**
 * A live Deepgram transcription over one connection (which reconnects by
 * itself, replaying unsettled audio). Audio goes out as 50 ms linear16 mono
 * messages; `flush()` sends Finalize; `endInput()` sends CloseStream and the
 * stream ends after Deepgram's last results.
 *
 * Options changed with `updateOptions()` apply at the next connection. Rather
 * than wait for a drop, the stream moves to a new connection at the first
 * point where no utterance is in progress: new audio goes to the new one while
 * the old one is ended cleanly (CloseStream, its last results still mapped), so
 * no audio is lost and no utterance is cut in two.
 */
export class DeepgramSpeechStream extends stt.SpeechStream {
  readonly #init: DeepgramStreamInit;
  readonly #mapper: TranscriptMapper;
  readonly #events = new utils.AsyncQueue<stt.SpeechEvent>({ capacity: EVENT_CAPACITY });
  readonly #failure = new utils.Future<never>();
  readonly #retiring = new Set<Connection>();
  #connection!: Connection;
  #version = 0;
  #samplesSent = 0;
  #sampleRate: number;
  #chunk: Int16Array;
  #chunkLength = 0;
  #droppedEvents = 0;

  constructor(owner: stt.STT, init: DeepgramStreamInit) {
    const { options } = init.currentOptions();
    super(owner, { language: init.language, sampleRate: options.sampleRate, numChannels: 1 });
    this.#init = init;
    this.#mapper = new TranscriptMapper(init.language);
    this.#sampleRate = options.sampleRate;
    this.#chunk = new Int16Array(Math.round(this.#sampleRate * CHUNK_SECONDS));
  }

  protected async run(): Promise<void> {
    this.#connection = this.#connect();
    const draining = this.#drainEvents();
    const sending = this.#sendAll();
    // Read by the race below; a failure after the race is the connection's own report.
    sending.catch(() => {});
    let failure: unknown;
    try {
      await Promise.race([sending, this.#failure.promise]);
    } catch (error) {
      failure = error;
    } finally {
      await Promise.all([this.#connection, ...this.#retiring].map((c) => c.close()));
      this.#events.close();
    }
    // Events mapped before a failure still reach the consumer, then the error.
    await draining;
    if (failure !== undefined) throw failure;
  }

  #connect(): Connection {
    const { options, version } = this.#init.currentOptions();
    this.#version = version;
    const connection = new Connection({
      label: this.#init.label,
      options,
      language: this.#init.language,
      startsAt: this.#samplesSent / this.#sampleRate,
      mapper: this.#mapper,
      onEvents: (events) => this.#queueEvents(events),
      onMetrics: this.#init.onMetrics,
      signal: this.signal,
    });
    connection.done.catch((error: unknown) => {
      if (connection === this.#connection) this.#failure.reject(error);
      else
        log().warn(
          { stt: this.#init.label, err: error },
          'a Deepgram connection being replaced failed',
        );
    });
    // `done` rejects with the same error if the first connect fails for good.
    connection.open().catch(() => {});
    return connection;
  }

  /** Sends the pushed audio, Finalize per flush, then CloseStream and waits for the last results. */
  async #sendAll(): Promise<void> {
    for await (const item of this.frames()) {
      if (item === utils.FLUSH) {
        this.#sendChunk();
        this.#connection.finalize();
      } else {
        const wait = this.#connection.roomFor(
          item.samplesPerChannel / this.#sampleRate + CHUNK_SECONDS,
        );
        if (wait) await wait;
        this.#addFrame(item);
      }
    }
    if (this.signal.aborted) return;
    this.#sendChunk();
    const timeoutMs = this.#connection.options.connectOptions.timeoutMs;
    await Promise.all([
      this.#connection.end(timeoutMs),
      ...[...this.#retiring].map((c) => c.done.catch(() => {})),
    ]);
    // A clean end, or the error the socket gave up with.
    await this.#connection.done;
  }

  #addFrame(frame: AudioFrame): void {
    const samples = frame.data;
    let read = 0;
    while (read < samples.length) {
      const take = Math.min(samples.length - read, this.#chunk.length - this.#chunkLength);
      this.#chunk.set(samples.subarray(read, read + take), this.#chunkLength);
      this.#chunkLength += take;
      read += take;
      if (this.#chunkLength === this.#chunk.length) this.#sendChunk();
    }
  }

  #sendChunk(): void {
    if (this.#chunkLength === 0) return;
    this.#maybeMoveToNewOptions();
    const pcm = this.#chunk.slice(0, this.#chunkLength);
    const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    this.#connection.sendAudio(this.#samplesSent / this.#sampleRate, bytes);
    this.#samplesSent += this.#chunkLength;
    this.#chunkLength = 0;
  }

  /** Between utterances, moves to a connection with the options set by `updateOptions()`. */
  #maybeMoveToNewOptions(): void {
    if (this.#mapper.speaking || this.#init.currentOptions().version === this.#version) return;
    const old = this.#connection;
    this.#connection = this.#connect();
    this.#retiring.add(old);
    log().debug({ stt: this.#init.label }, 'options changed: moving to a new Deepgram connection');
    old
      .end(old.options.connectOptions.timeoutMs)
      .catch(() => {})
      .finally(() => this.#retiring.delete(old));
  }

  #queueEvents(events: stt.SpeechEvent[]): void {
    if (this.#events.closed) return;
    for (const event of events) {
      if (this.#events.tryPut(event)) continue;
      if (this.#droppedEvents++ % 100 === 0) {
        log().warn(
          { stt: this.#init.label, dropped: this.#droppedEvents },
          'speech events are not being read: dropping the newest',
        );
      }
    }
  }

  async #drainEvents(): Promise<void> {
    for await (const event of this.#events) {
      if (!(await this.emit(event))) break;
    }
  }
}
