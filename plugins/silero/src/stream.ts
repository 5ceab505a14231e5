import { audio, log, utils, vad } from '@agents/core';
import { AudioFrame } from '@livekit/rtc-node';
import { SpeechDetector } from './detector.js';
import { FrameHistory } from './frame-history.js';
import { LagMonitor, type Throttle } from './lag.js';
import { type SileroModel, STATE_SIZE } from './model.js';
import { type DetectionOptions, resolveDetectionOptions, withoutUndefined } from './options.js';
import { WindowAssembler } from './windows.js';

/** Audio waiting longer than this for inference means the VAD is behind real time. */
const MAX_LAG_SECONDS = 0.5;

/** What a stream gets from its VAD. */
export interface StreamContext {
  model: SileroModel;
  /** The VAD's options when the stream opens; the stream's own updates go on top. */
  requested: Partial<DetectionOptions>;
  /**
   * Shared by the VAD's streams: falling behind is a matter of the process (its CPU, its
   * event loop), so a hundred streams behind make one warning, not a hundred.
   */
  lagWarnings: Throttle;
  onRunEnd: (stream: VADStream) => void;
}

/**
 * One live detection over one audio track. Frames of any rate, channel count and duration go
 * in; events come out, one INFERENCE_DONE per model window (32 ms at 16 kHz) plus
 * START_OF_SPEECH and END_OF_SPEECH. Times are seconds of pushed audio.
 *
 * `flush()` ends an utterance in progress at once; `endInput()` does too, after the audio
 * pushed so far has gone through the model. Made by `VAD.stream()`.
 */
export class VADStream extends vad.VADStream {
  readonly #model: SileroModel;
  readonly #lagWarnings: Throttle;
  readonly #onRunEnd: (stream: VADStream) => void;
  #requested: Partial<DetectionOptions>;
  #options: DetectionOptions;
  readonly #detector: SpeechDetector;
  /** The pushed frames the next event may need (prefix padding, the current utterance). */
  readonly #history = new FrameHistory();
  /** The pushed audio as model windows. */
  readonly #windows: WindowAssembler;
  readonly #lag = new LagMonitor();
  /** The model's recurrent state, this stream's alone. */
  readonly #state = new Float32Array(STATE_SIZE);
  #windowCount = 0;
  #probability = 0;

  /** Seconds pushed by the caller (may run ahead of what `run()` has read). */
  #pushedSeconds = 0;
  /** End of the frames `run()` has read, in seconds and in samples at the input's rate. */
  #readSeconds = 0;
  #readSamples = 0;
  #readRate = 0;
  #bufferFullWarned = false;

  constructor(owner: vad.VAD, { model, requested, lagWarnings, onRunEnd }: StreamContext) {
    super(owner);
    this.#model = model;
    this.#lagWarnings = lagWarnings;
    this.#onRunEnd = onRunEnd;
    this.#requested = requested;
    this.#options = resolveDetectionOptions(requested);
    this.#detector = new SpeechDetector(this.#options);
    this.#windows = new WindowAssembler(model);
  }

  get options(): Readonly<DetectionOptions> {
    return this.#options;
  }

  /** Changes this stream's options from its next window; invalid values throw and change nothing. */
  updateOptions(update: Partial<DetectionOptions>): void {
    const requested = { ...this.#requested, ...withoutUndefined(update) };
    this.#options = resolveDetectionOptions(requested);
    this.#requested = requested;
    this.#detector.options = this.#options;
  }

  /** Seconds of pushed audio held for the next event; never above `maxBufferedSpeech`. */
  get bufferedDuration(): number {
    return this.#history.duration;
  }

  override pushFrame(frame: AudioFrame): void {
    super.pushFrame(frame);
    this.#pushedSeconds += audio.frameDuration(frame);
    this.#lag.pushed(this.#pushedSeconds);
  }

  /** Written audio is not live: it is not watched for lag, only counted. */
  override async write(frame: AudioFrame, options?: vad.WriteOptions): Promise<void> {
    await super.write(frame, options);
    this.#pushedSeconds += audio.frameDuration(frame);
  }

  protected async run(): Promise<void> {
    try {
      for await (const item of this.frames()) {
        if (item === utils.FLUSH) {
          if (!(await this.#endSegment())) return;
        } else if (item.samplesPerChannel > 0) {
          this.#remember(item);
          this.#windows.write(item);
          for (let window = this.#windows.next(); window; window = this.#windows.next()) {
            if (!(await this.#inferWindow(window))) return;
          }
        }
      }
      if (!this.closed) await this.#endSegment();
    } finally {
      this.#windows.close();
      this.#onRunEnd(this);
    }
  }

  #remember(frame: AudioFrame): void {
    const start = this.#readSeconds;
    this.#readSeconds += audio.frameDuration(frame);
    this.#readSamples += frame.samplesPerChannel;
    this.#readRate = frame.sampleRate;
    const buffered = this.#history.duration + (this.#readSeconds - start);
    if (this.#detector.speaking && buffered > this.#options.maxBufferedSpeech) {
      if (!this.#bufferFullWarned) {
        this.#bufferFullWarned = true;
        log().warn(
          { maxBufferedSpeech: this.#options.maxBufferedSpeech },
          'silero: utterance longer than maxBufferedSpeech; its frames stop there',
        );
      }
      return;
    }
    // A copy: the caller may reuse its buffer, or pass views into a much larger one.
    const { data, sampleRate, channels, samplesPerChannel } = frame;
    const own = new AudioFrame(
      data.slice(0, channels * samplesPerChannel),
      sampleRate,
      channels,
      samplesPerChannel,
    );
    this.#history.push(own, start, this.#readSeconds);
  }

  async #inferWindow(window: Float32Array): Promise<boolean> {
    const { windowSize, sampleRate } = this.#model;
    const { probability, durationMs: inferenceDurationMs } = await this.#model.infer(
      window,
      this.#state,
    );
    this.#probability = probability;
    this.#windowCount += 1;
    const end = (this.#windowCount * windowSize) / sampleRate;
    const start = end - windowSize / sampleRate;

    const transition = this.#detector.update(probability, start, end);
    if (transition === 'start') {
      if (!(await this.#emitEdge(vad.VADEventType.START_OF_SPEECH, end, inferenceDurationMs))) {
        return false;
      }
    } else if (transition === 'end') {
      if (!(await this.#emitEdge(vad.VADEventType.END_OF_SPEECH, end, inferenceDurationMs))) {
        return false;
      }
    }
    const sent = await this.emit({
      ...this.#eventBase(end, inferenceDurationMs),
      type: vad.VADEventType.INFERENCE_DONE,
      // Between utterances there is no current speech to report.
      speechDuration: this.#detector.speaking ? this.#detector.speechDuration : 0,
      frames: [],
    });
    this.#forgetOldFrames(end);
    this.#checkLag(end, inferenceDurationMs);
    return sent;
  }

  /** Segment end (flush or end of input): what is left goes through; open speech ends. */
  async #endSegment(): Promise<boolean> {
    this.#windows.flush();
    for (let window = this.#windows.next(); window; window = this.#windows.next()) {
      if (!(await this.#inferWindow(window))) return false;
    }
    if (this.#detector.finish() !== 'end') return true;
    const sent = await this.#emitEdge(vad.VADEventType.END_OF_SPEECH, this.#readSeconds, 0);
    this.#forgetOldFrames(this.#readSeconds);
    return sent;
  }

  /** START or END: the event carries the audio from the padded start of speech to `now`. */
  #emitEdge(type: vad.VADEventType, now: number, inferenceDurationMs: number): Promise<boolean> {
    const from = this.#detector.speechStart - this.#options.prefixPaddingDuration;
    return this.emit({
      ...this.#eventBase(now, inferenceDurationMs),
      type,
      frames: this.#history.between(from, now),
    });
  }

  #eventBase(now: number, inferenceDurationMs: number) {
    const detector = this.#detector;
    return {
      samplesIndex: this.#inputSamplesAt(now),
      timestamp: now,
      speechDuration: detector.speechDuration,
      silenceDuration: detector.silenceDuration(now),
      probability: this.#probability,
      inferenceDurationMs,
      speaking: detector.speaking,
    };
  }

  /**
   * Samples at the input's rate before `time`. Read frames run ahead of the model by up to a
   * window (plus what the resampler holds), so count back from the end of what was read.
   */
  #inputSamplesAt(time: number): number {
    const ahead = Math.round((this.#readSeconds - time) * this.#readRate);
    return Math.max(0, this.#readSamples - ahead);
  }

  /** Between utterances only the prefix padding (and any speech about to start) is kept. */
  #forgetOldFrames(now: number): void {
    if (this.#detector.speaking) return;
    this.#bufferFullWarned = false;
    const keepFrom = (this.#detector.earliestSpeech ?? now) - this.#options.prefixPaddingDuration;
    this.#history.dropBefore(keepFrom);
  }

  #checkLag(now: number, inferenceDurationMs: number): void {
    const lagSeconds = this.#lag.lagAt(now);
    if (lagSeconds <= MAX_LAG_SECONDS) return;
    if (!this.#lagWarnings.allow()) return;
    log().warn(
      { lagSeconds: Number(lagSeconds.toFixed(2)), inferenceDurationMs },
      'silero VAD is behind real time: audio waits this long before inference ' +
        '(CPU overloaded, event loop busy, or audio pushed faster than real time)',
    );
  }
}
