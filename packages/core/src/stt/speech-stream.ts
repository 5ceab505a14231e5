import type { AudioFrame } from '@livekit/rtc-node';
import { AudioConverter } from '../audio/converter.js';
import { frameDuration } from '../audio/frames.js';
import { assertAudioFrame } from '../audio/validate.js';
import { DuplexStream, type Flush } from '../utils/async-stream.js';
import { WRITE_ADVICE, type WriteOptions } from '../vad/vad.js';
import { type SpeechEvent, SpeechEventType } from './events.js';
import type { STT } from './stt.js';

export interface SpeechStreamInit {
  language?: string;
  /** Convert pushed frames to this rate (and `numChannels`) before `run()` sees them. */
  sampleRate?: number;
  numChannels?: number;
  /** Report STT metrics from this stream (default). Off for wrappers that forward another STT's. */
  reportMetrics?: boolean;
}

/** Wall-clock time at which the pushed audio reached a given length. */
interface PushMark {
  audioSeconds: number;
  at: number;
}

const MAX_PUSH_MARKS = 2048;

/**
 * A live transcription: push frames, read speech events. Implementations
 * read `input()` (frames, with FLUSH at segment ends) in `run()` and `emit()`
 * events. The base converts audio when asked to, and reports STT metrics per
 * final transcript, with the latency from the end of that speech being pushed.
 *
 * `pushFrame()` (live audio) never waits: if `run()` falls 10 s behind,
 * frames are dropped with a warning rather than stalling the caller's audio
 * loop. `await write(frame)` (files, audio faster than real time) waits for
 * room instead and loses nothing; read the events meanwhile.
 */
export abstract class SpeechStream extends DuplexStream<AudioFrame, SpeechEvent> {
  protected readonly stt: STT;
  protected readonly language: string | undefined;
  readonly #converter: AudioConverter | undefined;
  readonly #reportMetrics: boolean;
  #pushedSeconds = 0;
  #reportedSeconds = 0;
  #lastReportAt = performance.now();
  readonly #marks: PushMark[] = [];

  constructor(stt: STT, init: SpeechStreamInit = {}) {
    super({ inputCapacity: 1000, whenInputFull: 'drop', inputFullAdvice: WRITE_ADVICE });
    this.stt = stt;
    this.language = init.language;
    this.#reportMetrics = init.reportMetrics ?? true;
    this.#converter = init.sampleRate
      ? new AudioConverter({ sampleRate: init.sampleRate, numChannels: init.numChannels ?? 1 })
      : undefined;
    // A stream that ends by itself is never closed: free the native resampler then.
    this.whenRunEnds(() => this.#converter?.close());
  }

  /**
   * Adds live audio of any sample rate and channel count, without waiting. A
   * malformed frame throws a TypeError naming the bad field and is not
   * queued; the stream goes on.
   */
  pushFrame(frame: AudioFrame): void {
    for (const converted of this.#accept(frame)) this.pushInput(converted);
  }

  /**
   * Adds audio, waiting while the input is full (backpressure): for files and
   * other audio faster than real time, where `pushFrame` would drop frames.
   * Rejects (and queues nothing more) on a malformed frame, once the input
   * has ended, or when `options.signal` aborts.
   */
  async write(frame: AudioFrame, options: WriteOptions = {}): Promise<void> {
    for (const converted of this.#accept(frame)) await this.writeInput(converted, options.signal);
  }

  override flush(): void {
    this.assertCanPush();
    for (const frame of this.#converter?.flush() ?? []) this.pushInput(frame);
    super.flush();
  }

  override endInput(): void {
    if (this.acceptsInput) {
      for (const frame of this.#converter?.flush() ?? []) this.pushInput(frame);
    }
    super.endInput();
  }

  /** Checks and converts a frame, and notes when its audio arrived. */
  #accept(frame: AudioFrame): AudioFrame[] {
    this.assertCanPush();
    assertAudioFrame(frame);
    const frames = this.#converter ? this.#converter.push(frame) : [frame];
    this.#pushedSeconds += frameDuration(frame);
    this.#marks.push({ audioSeconds: this.#pushedSeconds, at: performance.now() });
    if (this.#marks.length > MAX_PUSH_MARKS) this.#marks.splice(0, this.#marks.length / 2);
    return frames;
  }

  /** The pushed frames (converted), with FLUSH at segment ends. */
  protected frames(): AsyncIterable<AudioFrame | Flush> {
    return this.input();
  }

  protected override async emit(event: SpeechEvent): Promise<boolean> {
    if (this.#reportMetrics && event.type === SpeechEventType.FINAL_TRANSCRIPT) this.#report(event);
    return super.emit(event);
  }

  override async close(): Promise<void> {
    await super.close();
    this.#converter?.close();
    if (this.#reportMetrics && this.#pushedSeconds > this.#reportedSeconds) this.#report(undefined);
  }

  /** Metrics for the audio pushed since the previous report. */
  #report(final: SpeechEvent | undefined): void {
    const now = performance.now();
    const endTime = final?.alternatives[0]?.endTime;
    const mark =
      endTime !== undefined && endTime > 0
        ? this.#marks.find((m) => m.audioSeconds >= endTime)
        : this.#marks.at(-1);
    this.stt.emit('metrics_collected', {
      type: 'stt',
      label: this.stt.label,
      requestId: final?.requestId ?? '',
      timestamp: Date.now(),
      durationMs: now - this.#lastReportAt,
      audioDurationMs: (this.#pushedSeconds - this.#reportedSeconds) * 1000,
      latencyToFinalMs: final && mark ? Math.max(0, now - mark.at) : undefined,
      streamed: true,
    });
    this.#reportedSeconds = this.#pushedSeconds;
    this.#lastReportAt = now;
  }
}
