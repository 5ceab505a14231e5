import { setTimeout as sleep } from 'node:timers/promises';
import { log } from '@agents/core';
import type { RawData, WebSocket } from 'ws';
import { type ListenParams, metadataMessage, resultsMessage } from './messages.js';
import { Transcriber, type TranscriberEvent } from './transcriber.js';
import type { DeepgramConnection, DeepgramFault, DeepgramLatency } from './types.js';

/** The reason the real service gives when it closes an idle stream (NET-0001). */
export const DEEPGRAM_IDLE_CLOSE_REASON =
  'Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001';

/** A `malformed` fault's frame: a result cut short, as a broken proxy would pass it on. */
export const MALFORMED_FRAME = '{"type":"Results","channel_index":[0,';

/** A fault armed on this connection, firing once this much audio has arrived (and CloseStream, if asked). */
export interface ConnectionFault {
  kind: Extract<DeepgramFault, 'drop' | 'stall' | 'malformed'>;
  afterAudioMs: number;
  onCloseStream?: boolean;
}

export interface LiveSessionOptions {
  id: number;
  requestId: string;
  params: ListenParams;
  query: URLSearchParams;
  headers: DeepgramConnection['headers'];
  latency: DeepgramLatency;
  idleTimeoutMs: number;
  /** No audio for this long (wall clock) while speech is pending counts as silence; false: never. */
  audioGapMs: number | false;
  /** Every fault this connection took (for the record). */
  taken: DeepgramFault[];
  /** The ones that act once the connection is open. */
  faults: ConnectionFault[];
  takeScript(): string | undefined;
  /** Called after every change a test may wait for. */
  changed(): void;
}

/**
 * One `/v1/listen` stream: audio in, results out. Results are decided in audio
 * time by the Transcriber; this adds the wire (JSON frames, close codes), the
 * control messages, the idle timeout, the latency profile and the faults.
 */
export class LiveSession implements DeepgramConnection {
  readonly id: number;
  readonly requestId: string;
  readonly query: URLSearchParams;
  readonly headers: DeepgramConnection['headers'];
  readonly controlMessages: unknown[] = [];
  readonly sentMessages: unknown[] = [];
  readonly faults: DeepgramFault[];
  readonly closed: Promise<void>;
  audioBytes = 0;
  closeCode?: number;
  readonly #options: LiveSessionOptions;
  readonly #ws: WebSocket;
  readonly #transcriber: Transcriber;
  readonly #created = new Date();
  readonly #pendingFaults: ConnectionFault[];
  /** Messages go out one after another, each after its latency, so a delay never reorders them. */
  #outbox: Promise<void> = Promise.resolve();
  #firstResultsSent = false;
  #stalled = false;
  /** CloseStream received or the idle timeout fired: no more input is taken. */
  #ending = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #gapTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, options: LiveSessionOptions) {
    this.#ws = ws;
    this.#options = options;
    this.id = options.id;
    this.requestId = options.requestId;
    this.query = options.query;
    this.headers = options.headers;
    this.faults = [...options.taken];
    this.#pendingFaults = [...options.faults];
    const { params } = options;
    this.#transcriber = new Transcriber({
      sampleRate: params.sampleRate,
      channels: params.channels,
      interimResults: params.interimResults,
      vadEvents: params.vadEvents,
      endpointingMs: params.endpointingMs,
      utteranceEndMs: params.utteranceEndMs,
      takeScript: options.takeScript,
      emit: (event) => this.#onTranscriberEvent(event),
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code) => {
        this.closeCode ??= code;
        this.#clearTimers();
        resolve();
        options.changed();
      });
    });
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('error', (error) =>
      log().debug({ err: error, id: this.id }, 'DeepgramStandIn: socket error'),
    );
    this.#armIdleTimer();
    this.#checkFaults();
  }

  get audioMs(): number {
    return this.#transcriber.audioSeconds * 1000;
  }

  get open(): boolean {
    return this.closeCode === undefined;
  }

  /** Closes at once (the stand-in is shutting down), as a server going away does. */
  shutdown(): void {
    this.#clearTimers();
    if (this.open) this.#ws.terminate();
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#ending || !this.open) return;
    this.#armIdleTimer();
    if (!isBinary) {
      this.#onControl(rawText(data));
      return;
    }
    const bytes = toBuffer(data);
    // A zero-length frame is the deprecated way of ending a stream; the service still takes it so.
    if (bytes.length === 0) {
      this.#closeStream();
      return;
    }
    this.audioBytes += bytes.length;
    this.#transcriber.push(bytes);
    this.#armGapTimer();
    this.#checkFaults();
    this.#options.changed();
  }

  #onControl(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      message = text;
    }
    this.controlMessages.push(message);
    this.#options.changed();
    const type = (message as { type?: unknown } | null)?.type;
    if (type === 'Finalize') this.#transcriber.finalize();
    else if (type === 'CloseStream') this.#closeStream();
    // KeepAlive only resets the idle timer (done above); anything else is ignored, as the service does.
  }

  #closeStream(): void {
    if (this.#checkFaults(true)) return;
    this.#ending = true;
    this.#clearTimers();
    const { closeStreamMs } = this.#options.latency;
    if (closeStreamMs > 0) this.#enqueue(() => sleep(closeStreamMs));
    this.#transcriber.end();
    this.#sendJson(metadataMessage(this.#metadataFields()));
    this.#enqueue(() => this.#close(1000, ''));
  }

  #onIdle(): void {
    this.#ending = true;
    this.#clearTimers();
    this.#sendJson(metadataMessage(this.#metadataFields()));
    this.#enqueue(() => this.#close(1011, DEEPGRAM_IDLE_CLOSE_REASON));
  }

  #metadataFields() {
    return {
      requestId: this.requestId,
      created: this.#created,
      durationS: this.#transcriber.audioSeconds,
      channels: this.#options.params.channels,
      model: this.#options.params.model,
    };
  }

  #onTranscriberEvent(event: TranscriberEvent): void {
    const channel = [0, 1];
    if (event.kind === 'speech-started') {
      this.#sendJson({ type: 'SpeechStarted', channel, timestamp: event.timestamp });
    } else if (event.kind === 'utterance-end') {
      this.#sendJson({ type: 'UtteranceEnd', channel, last_word_end: event.lastWordEnd });
    } else {
      const { latency } = this.#options;
      let delayMs = event.speechFinal ? latency.finalMs : 0;
      if (!this.#firstResultsSent) delayMs = Math.max(delayMs, latency.firstInterimMs);
      this.#firstResultsSent = true;
      this.#sendJson(resultsMessage(event, this.#options.params, this.requestId), delayMs);
    }
  }

  #sendJson(message: object, delayMs = 0): void {
    this.#enqueue(async () => {
      if (delayMs > 0) await sleep(delayMs);
      this.#sendText(JSON.stringify(message), message);
    });
  }

  #sendText(text: string, logged: unknown): void {
    if (this.#stalled || !this.open || this.#ws.readyState !== this.#ws.OPEN) return;
    this.sentMessages.push(logged);
    this.#ws.send(text);
    this.#options.changed();
  }

  #enqueue(step: () => Promise<void> | void): void {
    this.#outbox = this.#outbox.then(step).catch((error: unknown) => {
      log().error({ err: error, id: this.id }, 'DeepgramStandIn: sending failed');
    });
  }

  #close(code: number, reason: string): void {
    if (this.#stalled || !this.open) return;
    this.closeCode = code;
    this.#ws.close(code, reason);
  }

  /** Fires the faults that are due; true when one dropped the connection. */
  #checkFaults(atCloseStream = false): boolean {
    const audioMs = this.audioMs;
    for (const fault of [...this.#pendingFaults]) {
      if (audioMs < fault.afterAudioMs || (fault.onCloseStream === true) !== atCloseStream)
        continue;
      this.#pendingFaults.splice(this.#pendingFaults.indexOf(fault), 1);
      if (fault.kind === 'drop') {
        this.closeCode = 1006;
        this.#clearTimers();
        this.#ws.terminate();
        return true;
      }
      if (fault.kind === 'stall') {
        this.#stalled = true;
        this.#clearTimers();
      } else {
        this.#enqueue(() => this.#sendText(MALFORMED_FRAME, MALFORMED_FRAME));
      }
    }
    return false;
  }

  #armIdleTimer(): void {
    clearTimeout(this.#idleTimer);
    if (this.#stalled) return;
    this.#idleTimer = setTimeout(() => this.#onIdle(), this.#options.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #armGapTimer(): void {
    clearTimeout(this.#gapTimer);
    const { audioGapMs } = this.#options;
    if (audioGapMs === false || !this.#transcriber.awaitingSilence) return;
    this.#gapTimer = setTimeout(() => {
      if (!this.#ending) this.#transcriber.assumeSilence();
    }, audioGapMs);
    this.#gapTimer.unref();
  }

  #clearTimers(): void {
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#gapTimer);
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function rawText(data: RawData): string {
  return toBuffer(data).toString('utf8');
}
