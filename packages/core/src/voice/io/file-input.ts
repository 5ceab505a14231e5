import type { AudioFrame } from '@livekit/rtc-node';
import { convertChannels } from '../../audio/channels.js';
import { resampleFrames } from '../../audio/converter.js';
import { combineFrames } from '../../audio/frames.js';
import { newAudioFrame } from '../../audio/rtc.js';
import { readWavFile } from '../../audio/wav.js';
import { Future } from '../../utils/future.js';
import { AsyncQueue, QueueClosedError } from '../../utils/queue.js';
import type { AudioInput } from '../io.js';
import { type Clock, realClock } from './clock.js';
import type { ConversationRecorder } from './recorder.js';

export interface FileAudioInputOptions {
  /** Default: real time. A `VirtualClock` makes pacing exact and instant in tests. */
  clock?: Clock;
  /** Audio per frame, 10 to 20 ms (default 10). */
  frameMs?: number;
  /** Rate of the frames delivered (default: the file's). */
  sampleRate?: number;
  /** Channels of the frames delivered (default 1: speech pipelines want mono). */
  numChannels?: number;
  /** Once the file is done: keep delivering silence until closed (default), or end the stream. */
  afterEnd?: 'silence' | 'end';
  /** Gets the user's audio on its left channel, at the time each frame was heard. */
  recorder?: ConversationRecorder;
  /** Most audio queued for a slow reader; past it the oldest frames are dropped (default 1000). */
  queueMs?: number;
}

/**
 * The user's side of a conversation read from a WAV file (any rate and channel
 * count), delivered as a microphone would: frame n arrives once its last
 * sample has been spoken, `frameMs` after frame n − 1, on the clock. Pacing
 * starts at the first read (or `start()`), so an agent that takes a while to
 * set up does not miss the beginning.
 */
export class FileAudioInput implements AudioInput {
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly frameMs: number;
  /** Length of the file's audio, in seconds. */
  readonly duration: number;
  readonly #audio: Int16Array;
  readonly #clock: Clock;
  readonly #afterEnd: 'silence' | 'end';
  readonly #recorder: ConversationRecorder | undefined;
  /** The file as mono at the recorder's rate, sliced in step with delivery. */
  readonly #recorded: Int16Array | undefined;
  readonly #queue: AsyncQueue<AudioFrame>;
  readonly #fileDone = new Future<void>();
  #startedAt: number | undefined;
  #recorderIndex = 0;
  #next = 0;
  #cancelTimer: (() => void) | undefined;
  #dropped = 0;
  #closed = false;

  /** Reads and decodes the WAV file; errors name the file and say what is wrong with it. */
  static async fromFile(
    path: string,
    options: FileAudioInputOptions = {},
  ): Promise<FileAudioInput> {
    return new FileAudioInput(await readWavFile(path), options);
  }

  constructor(audio: AudioFrame, options: FileAudioInputOptions = {}) {
    this.frameMs = options.frameMs ?? 10;
    if (!(this.frameMs >= 5 && this.frameMs <= 100)) {
      throw new RangeError(`frameMs must be between 5 and 100 (got ${this.frameMs}); use 10 or 20`);
    }
    this.numChannels = options.numChannels ?? 1;
    this.sampleRate = options.sampleRate ?? audio.sampleRate;
    this.#audio = convert(audio, this.sampleRate, this.numChannels).data;
    this.duration = audio.samplesPerChannel / audio.sampleRate;
    this.#clock = options.clock ?? realClock;
    this.#afterEnd = options.afterEnd ?? 'silence';
    this.#recorder = options.recorder;
    if (this.#recorder) this.#recorded = convert(audio, this.#recorder.sampleRate, 1).data;
    const capacity = Math.max(1, Math.ceil((options.queueMs ?? 1000) / this.frameMs));
    this.#queue = new AsyncQueue({ capacity });
  }

  get droppedFrames(): number {
    return this.#dropped;
  }

  /** Clock time (ms) the first sample was spoken, once started. */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }

  /** Seconds of audio delivered so far (file and trailing silence). */
  get position(): number {
    return (this.#next * this.frameMs) / 1000;
  }

  /** Resolves once the last frame of the file has been delivered (or the input closed first). */
  get fileDone(): Promise<void> {
    return this.#fileDone.promise;
  }

  /** Starts pacing now (the first read does it too). */
  start(): void {
    if (this.#startedAt !== undefined || this.#closed) return;
    this.#startedAt = this.#clock.now();
    if (this.#recorder) this.#recorderIndex = this.#recorder.indexAt(this.#startedAt);
    if (!this.#hasFrame(0)) {
      this.#fileDone.resolve();
      if (this.#afterEnd === 'end') {
        this.#queue.close();
        return;
      }
    }
    this.#schedule();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<AudioFrame, void, undefined> {
    this.start();
    while (!this.#closed) {
      let frame: AudioFrame;
      try {
        frame = await this.#queue.get();
      } catch (error) {
        if (error instanceof QueueClosedError) return;
        throw error;
      }
      if (this.#closed) return;
      yield frame;
    }
  }

  /** Stops delivery; a reader's loop ends. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#queue.close();
    this.#fileDone.resolve();
  }

  #schedule(): void {
    const due = this.#dueAt(this.#next);
    this.#cancelTimer = this.#clock.setTimer(due - this.#clock.now(), () => this.#deliverDue());
  }

  /** When frame n is complete: its last sample has been spoken. */
  #dueAt(n: number): number {
    return (this.#startedAt as number) + (n + 1) * this.frameMs;
  }

  #deliverDue(): void {
    this.#cancelTimer = undefined;
    const now = this.#clock.now();
    while (!this.#closed && this.#dueAt(this.#next) <= now) {
      this.#push(this.#frame(this.#next) ?? this.#silence(this.#next));
      this.#next++;
      if (!this.#hasFrame(this.#next)) {
        this.#fileDone.resolve();
        if (this.#afterEnd === 'end') {
          // The reader drains what is queued, then its loop ends.
          this.#queue.close();
          return;
        }
      }
    }
    if (!this.#closed) this.#schedule();
  }

  #push(frame: AudioFrame): void {
    if (this.#queue.tryPut(frame)) return;
    // A reader that falls behind loses the oldest audio, as a live microphone would.
    this.#queue.tryGet();
    this.#dropped++;
    this.#queue.tryPut(frame);
  }

  /** Sample bounds of frame n at `rate`: whole samples, so 22.05 kHz frames alternate 220/221. */
  #bounds(n: number, rate: number): [number, number] {
    const at = (k: number) => Math.floor((k * this.frameMs * rate) / 1000);
    return [at(n), at(n + 1)];
  }

  #hasFrame(n: number): boolean {
    return this.#bounds(n, this.sampleRate)[0] < this.#audio.length / this.numChannels;
  }

  #frame(n: number): AudioFrame | undefined {
    const [from, to] = this.#bounds(n, this.sampleRate);
    const total = this.#audio.length / this.numChannels;
    if (from >= total) return undefined;
    const end = Math.min(to, total);
    this.#record(n);
    const data = this.#audio.slice(from * this.numChannels, end * this.numChannels);
    return newAudioFrame(data, this.sampleRate, this.numChannels, end - from);
  }

  #silence(n: number): AudioFrame {
    const [from, to] = this.#bounds(n, this.sampleRate);
    const samples = to - from;
    return newAudioFrame(
      new Int16Array(samples * this.numChannels),
      this.sampleRate,
      this.numChannels,
      samples,
    );
  }

  #record(n: number): void {
    if (!this.#recorder || !this.#recorded) return;
    const [from, to] = this.#bounds(n, this.#recorder.sampleRate);
    const slice = this.#recorded.subarray(from, Math.min(to, this.#recorded.length));
    if (slice.length > 0) this.#recorder.write('user', this.#recorderIndex + from, slice);
  }
}

/** The whole file in one format, converted once so pacing only slices. */
function convert(audio: AudioFrame, sampleRate: number, numChannels: number): AudioFrame {
  const channels = convertChannels(audio, numChannels);
  if (channels.sampleRate === sampleRate) return channels;
  const frames = resampleFrames(channels, sampleRate);
  if (frames.length === 0) return newAudioFrame(new Int16Array(0), sampleRate, numChannels, 0);
  return combineFrames(frames);
}
