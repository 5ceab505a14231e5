import type { AudioFrame } from '@livekit/rtc-node';
import { combineFrames, frameDuration } from '../audio/frames.js';
import { AsyncStream } from '../utils/async-stream.js';
import { shortId } from '../utils/ids.js';
import { TTSFramer } from './framer.js';
import type { SynthesizedAudio, SynthesizeOptions, TTS } from './tts.js';

/**
 * The audio of one `synthesize()` call, as 20 ms frames (the last may be
 * shorter). Implementations write `synthesizeAudio()`, passing what the
 * provider sends to `pushAudio()`; the base cuts it into frames and reports
 * TTS metrics.
 */
export abstract class ChunkedStream extends AsyncStream<SynthesizedAudio> {
  readonly inputText: string;
  readonly requestId = shortId('req');
  readonly segmentId = shortId('seg');
  protected readonly tts: TTS;
  readonly #framer: TTSFramer;
  readonly #createdAt = performance.now();
  #firstAudioAt: number | undefined;
  #audioSeconds = 0;
  #textSent = false;
  #detachSignal: (() => void) | undefined;

  constructor(tts: TTS, text: string, options: SynthesizeOptions = {}) {
    super();
    this.tts = tts;
    this.inputText = text;
    this.#framer = new TTSFramer(tts.sampleRate, tts.numChannels);
    const signal = options.signal;
    if (signal?.aborted) void this.close();
    else if (signal) {
      // Removed when the run ends: a caller's long-lived signal (a stream
      // adapter's, one per sentence) must not collect a listener per request.
      const onAbort = () => void this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /** Requests the speech and passes its audio to `pushAudio()` as it arrives. */
  protected abstract synthesizeAudio(): Promise<void>;

  /** Hands provider audio (16-bit PCM bytes, or frames at the TTS's rate) to the consumer. */
  protected async pushAudio(data: AudioFrame | ArrayBufferView): Promise<void> {
    this.#firstAudioAt ??= performance.now();
    for (const frame of this.#framer.push(data)) await this.#emitFrame(frame);
  }

  protected async run(): Promise<void> {
    let finished = false;
    try {
      await this.synthesizeAudio();
      for (const frame of this.#framer.flush()) await this.#emitFrame(frame);
      finished = !this.closed;
    } finally {
      this.#detachSignal?.();
      const durationMs = performance.now() - this.#createdAt;
      this.tts.emit('metrics_collected', {
        type: 'tts',
        label: this.tts.label,
        requestId: this.requestId,
        timestamp: Date.now(),
        ttfbMs: this.#firstAudioAt === undefined ? -1 : this.#firstAudioAt - this.#createdAt,
        durationMs,
        characters: this.inputText.length,
        audioDurationMs: this.#audioSeconds * 1000,
        cancelled: !finished,
        streamed: false,
      });
    }
  }

  /** Reads the whole stream into one frame. */
  async collect(): Promise<AudioFrame> {
    const frames: AudioFrame[] = [];
    for await (const audio of this) frames.push(audio.frame);
    if (frames.length === 0) throw new Error(`${this.tts.label} produced no audio`);
    return combineFrames(frames);
  }

  async #emitFrame(frame: AudioFrame): Promise<void> {
    this.#audioSeconds += frameDuration(frame);
    const deltaText = this.#textSent ? '' : this.inputText;
    this.#textSent = true;
    await this.emit({
      requestId: this.requestId,
      segmentId: this.segmentId,
      frame,
      deltaText,
    });
  }
}
