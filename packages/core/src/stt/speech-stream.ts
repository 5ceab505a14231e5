import type { AudioFrame } from '@livekit/rtc-node';
import { AudioConverter } from '../audio/converter.js';
import { frameDuration } from '../audio/frames.js';
import { DuplexStream, type Flush } from '../utils/async-stream.js';
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
 * Pushing never waits: if `run()` falls 10 s behind, frames are dropped with
 * a warning rather than stalling the caller's audio loop.
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
    super({ inputCapacity: 1000, whenInputFull: 'drop' });
    this.stt = stt;
    this.language = init.language;
    this.#reportMetrics = init.reportMetrics ?? true;
    this.#converter = init.sampleRate
      ? new AudioConverter({ sampleRate: init.sampleRate, numChannels: init.numChannels ?? 1 })
      : undefined;
  }

  /** Adds audio of any sample rate and channel count. */
  pushFrame(frame: AudioFrame): void {
    this.assertCanPush();
    const frames = this.#converter ? this.#converter.push(frame) : [frame];
    for (const converted of frames) this.pushInput(converted);
    this.#pushedSeconds += frameDuration(frame);
    this.#marks.push({ audioSeconds: this.#pushedSeconds, at: performance.now() });
    if (this.#marks.length > MAX_PUSH_MARKS) this.#marks.splice(0, this.#marks.length / 2);
  }

  override flush(): void {
    for (const frame of this.#converter?.flush() ?? []) this.pushInput(frame);
    super.flush();
  }

  override endInput(): void {
    if (!this.closed) for (const frame of this.#converter?.flush() ?? []) this.pushInput(frame);
    super.endInput();
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
