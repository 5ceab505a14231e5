import type { AudioFrame } from '@livekit/rtc-node';
import { frameDuration } from '../audio/frames.js';
import type { TimedWord } from '../stt/events.js';
import { DuplexStream, type Flush } from '../utils/async-stream.js';
import { shortId } from '../utils/ids.js';
import { TTSFramer } from './framer.js';
import type { SynthesizedAudio, TTS } from './tts.js';

export const SynthesisEventType = {
  /** A segment's first audio is on its way. */
  STARTED: 'started',
  AUDIO: 'audio',
  /** A segment is complete; more segments may follow. */
  FINISHED: 'finished',
} as const;

export type SynthesisEvent =
  | { type: typeof SynthesisEventType.STARTED; requestId: string; segmentId: string }
  | { type: typeof SynthesisEventType.AUDIO; audio: SynthesizedAudio }
  | {
      type: typeof SynthesisEventType.FINISHED;
      requestId: string;
      segmentId: string;
      /** Word timings that arrived after the segment's last frame, if any. */
      words?: TimedWord[];
    };

interface Segment {
  id: string;
  framer: TTSFramer;
  startedAt: number;
  firstAudioAt: number | undefined;
  characters: number;
  audioSeconds: number;
  pendingText: string;
  pendingWords: TimedWord[];
}

/**
 * Speaks text as it arrives: `pushText()` pieces, `flush()` at the end of a
 * segment (a reply), `endInput()` when done. Per segment the stream reports
 * STARTED, AUDIO frames of 20 ms, FINISHED. Implementations read `text()` in
 * `run()` and use `startSegment()`, `pushAudio()`, `endSegment()`; the base
 * numbers segments, cuts audio into frames and reports metrics per segment.
 */
export abstract class SynthesizeStream extends DuplexStream<string, SynthesisEvent> {
  readonly requestId = shortId('req');
  protected readonly tts: TTS;
  readonly #reportMetrics: boolean;
  #segment: Segment | undefined;

  /**
   * `reportMetrics: false` is for wrappers whose inner TTS reports its own
   * metrics, so that usage is not counted twice.
   */
  constructor(tts: TTS, options: { reportMetrics?: boolean } = {}) {
    super({ inputCapacity: 4096, whenInputFull: 'throw' });
    this.tts = tts;
    this.#reportMetrics = options.reportMetrics ?? true;
  }

  /** Adds text to the current segment; empty strings are ignored. */
  pushText(text: string): void {
    if (typeof text !== 'string') throw new TypeError('pushText() takes a string');
    if (text !== '') this.pushInput(text);
  }

  /** Pushed text, with FLUSH at segment ends. */
  protected text(): AsyncIterable<string | Flush> {
    return this.input();
  }

  /** The open segment's id, if one is open. */
  protected get segmentId(): string | undefined {
    return this.#segment?.id;
  }

  /** Opens a segment (if none is open) and reports STARTED. */
  protected async startSegment(): Promise<string> {
    if (this.#segment) return this.#segment.id;
    const segment: Segment = {
      id: shortId('seg'),
      framer: new TTSFramer(this.tts.sampleRate, this.tts.numChannels),
      startedAt: performance.now(),
      firstAudioAt: undefined,
      characters: 0,
      audioSeconds: 0,
      pendingText: '',
      pendingWords: [],
    };
    this.#segment = segment;
    await this.emit({
      type: SynthesisEventType.STARTED,
      requestId: this.requestId,
      segmentId: segment.id,
    });
    return segment.id;
  }

  /** Counts text sent to the provider for the open segment; it rides on the next frame out. */
  protected noteTextSent(text: string): void {
    const segment = this.#requireSegment('noteTextSent');
    segment.characters += text.length;
    segment.pendingText += text;
  }

  /**
   * Word timings for the open segment (seconds from the start of its audio,
   * from the provider's alignment); they ride on the next frame out.
   */
  protected pushWordTimings(words: readonly TimedWord[]): void {
    this.#requireSegment('pushWordTimings').pendingWords.push(...words);
  }

  /** Hands provider audio for the open segment to the consumer. */
  protected async pushAudio(data: AudioFrame | ArrayBufferView): Promise<void> {
    const segment = this.#requireSegment('pushAudio');
    segment.firstAudioAt ??= performance.now();
    for (const frame of segment.framer.push(data)) await this.#emitFrame(segment, frame);
  }

  /** Ends the open segment: its last frames, then FINISHED, then its metrics. */
  protected async endSegment(): Promise<void> {
    const segment = this.#segment;
    if (!segment) return;
    for (const frame of segment.framer.flush()) await this.#emitFrame(segment, frame);
    this.#segment = undefined;
    const finished: SynthesisEvent = {
      type: SynthesisEventType.FINISHED,
      requestId: this.requestId,
      segmentId: segment.id,
    };
    if (segment.pendingWords.length > 0) finished.words = segment.pendingWords.splice(0);
    await this.emit(finished);
    this.#report(segment, false);
  }

  override async close(): Promise<void> {
    const open = this.#segment;
    this.#segment = undefined;
    await super.close();
    if (open) this.#report(open, true);
  }

  #requireSegment(operation: string): Segment {
    if (!this.#segment)
      throw new Error(`${operation}() needs an open segment: call startSegment()`);
    return this.#segment;
  }

  async #emitFrame(segment: Segment, frame: AudioFrame): Promise<void> {
    segment.audioSeconds += frameDuration(frame);
    const deltaText = segment.pendingText;
    segment.pendingText = '';
    const audio: SynthesizedAudio = {
      requestId: this.requestId,
      segmentId: segment.id,
      frame,
      deltaText,
    };
    if (segment.pendingWords.length > 0) audio.words = segment.pendingWords.splice(0);
    await this.emit({ type: SynthesisEventType.AUDIO, audio });
  }

  #report(segment: Segment, cancelled: boolean): void {
    if (!this.#reportMetrics) return;
    const now = performance.now();
    this.tts.emit('metrics_collected', {
      type: 'tts',
      label: this.tts.label,
      requestId: this.requestId,
      timestamp: Date.now(),
      ttfbMs: segment.firstAudioAt === undefined ? -1 : segment.firstAudioAt - segment.startedAt,
      durationMs: now - segment.startedAt,
      characters: segment.characters,
      audioDurationMs: segment.audioSeconds * 1000,
      cancelled,
      streamed: true,
    });
  }
}
