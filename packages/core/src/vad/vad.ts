import type { AudioFrame } from '@livekit/rtc-node';
import { assertAudioFrame } from '../audio/validate.js';
import type { ModelEvents, VADMetrics } from '../metrics/base.js';
import { DuplexStream, type Flush } from '../utils/async-stream.js';
import { TypedEventEmitter } from '../utils/emitter.js';

export const VADEventType = {
  /** Speech began; `frames` holds the speech so far, prefix padding included. */
  START_OF_SPEECH: 'start_of_speech',
  /** One inference window was processed; exactly one per window. */
  INFERENCE_DONE: 'inference_done',
  /** Speech ended; `frames` holds the whole utterance, prefix padding included. */
  END_OF_SPEECH: 'end_of_speech',
} as const;
export type VADEventType = (typeof VADEventType)[keyof typeof VADEventType];

/** Times and durations in seconds, in the time base of the pushed audio. */
export interface VADEvent {
  type: VADEventType;
  /** Samples (per channel, at the input's rate) pushed before the end of this window. */
  samplesIndex: number;
  /** Position of the end of this window in the pushed audio. */
  timestamp: number;
  /** Length of the current (or, at END_OF_SPEECH, the ended) speech. */
  speechDuration: number;
  /** Silence since speech last stopped. */
  silenceDuration: number;
  /** Smoothed speech probability of the latest window, 0 to 1. */
  probability: number;
  /** Time the latest inference took. */
  inferenceDurationMs: number;
  speaking: boolean;
  /** START and END only; empty otherwise. */
  frames: AudioFrame[];
}

export interface VADCapabilities {
  /** Seconds of audio per INFERENCE_DONE. */
  updateInterval: number;
}

/** Voice activity detection: which stretches of audio are speech. */
export abstract class VAD extends TypedEventEmitter<ModelEvents<VADMetrics>> {
  abstract readonly label: string;
  readonly capabilities: Readonly<VADCapabilities>;

  constructor(capabilities: VADCapabilities) {
    super();
    this.capabilities = Object.freeze({ ...capabilities });
  }

  /** Opens a stream with its own state; streams never disturb each other. */
  abstract stream(): VADStream;

  async close(): Promise<void> {}
}

/** Inference time is reported once per this much audio. */
const METRICS_INTERVAL_SECONDS = 1;

/** What a frame stream's drop warning tells the caller. */
export const WRITE_ADVICE =
  'for files or other audio faster than real time, use `await stream.write(frame)`';

/** Options of a waiting write. */
export interface WriteOptions {
  /** Ends the wait for room (the frame is then not queued): a deadline, or a cancel. */
  signal?: AbortSignal;
}

/**
 * A detection: write or push frames, read events. Implementations read
 * `frames()` in `run()` and `emit()` events; the base reports VAD metrics
 * (inference time against audio time) from the INFERENCE_DONE events.
 *
 * Live audio goes through `pushFrame()`, which never waits: frames are dropped
 * with a warning if `run()` falls 10 s behind. Audio faster than real time (a
 * file) goes through `await write(frame)`, which waits for room instead, so
 * nothing is lost; read the events at the same time, or the writes stall.
 */
export abstract class VADStream extends DuplexStream<AudioFrame, VADEvent> {
  protected readonly vad: VAD;
  #windowInferenceMs = 0;
  #windowInferences = 0;
  #windowStart = 0;
  #lastTimestamp = 0;

  constructor(vad: VAD) {
    super({ inputCapacity: 1000, whenInputFull: 'drop', inputFullAdvice: WRITE_ADVICE });
    this.vad = vad;
  }

  /**
   * Adds live audio without waiting. A malformed frame throws a TypeError
   * naming the bad field and is not queued; the stream goes on.
   */
  pushFrame(frame: AudioFrame): void {
    assertAudioFrame(frame);
    this.pushInput(frame);
  }

  /**
   * Adds audio, waiting while the input is full (backpressure): for files and
   * other audio faster than real time, where `pushFrame` would drop frames.
   * Rejects (and queues nothing) on a malformed frame, once the input has
   * ended, or when `options.signal` aborts.
   */
  async write(frame: AudioFrame, options: WriteOptions = {}): Promise<void> {
    assertAudioFrame(frame);
    await this.writeInput(frame, options.signal);
  }

  protected frames(): AsyncIterable<AudioFrame | Flush> {
    return this.input();
  }

  protected override async emit(event: VADEvent): Promise<boolean> {
    if (event.type === VADEventType.INFERENCE_DONE) {
      this.#windowInferenceMs += event.inferenceDurationMs;
      this.#windowInferences += 1;
      this.#lastTimestamp = event.timestamp;
      if (event.timestamp - this.#windowStart >= METRICS_INTERVAL_SECONDS) this.#report();
    }
    return super.emit(event);
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.#windowInferences > 0) this.#report();
  }

  #report(): void {
    const audioDurationMs = (this.#lastTimestamp - this.#windowStart) * 1000;
    this.vad.emit('metrics_collected', {
      type: 'vad',
      label: this.vad.label,
      requestId: '',
      timestamp: Date.now(),
      inferenceDurationMs: this.#windowInferenceMs,
      inferenceCount: this.#windowInferences,
      audioDurationMs,
      realTimeFactor: audioDurationMs > 0 ? this.#windowInferenceMs / audioDurationMs : 0,
    });
    this.#windowStart = this.#lastTimestamp;
    this.#windowInferenceMs = 0;
    this.#windowInferences = 0;
  }
}
