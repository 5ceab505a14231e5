import type { AudioFrame } from '@livekit/rtc-node';
import { AudioConverter } from '../../audio/converter.js';
import { type Listener, TypedEventEmitter } from '../../utils/emitter.js';
import { Future } from '../../utils/future.js';
import type { AudioOutput, AudioOutputEvents, PlaybackFinished } from '../io.js';
import { type Clock, realClock } from './clock.js';
import { type ConversationRecorder, clamp16 } from './recorder.js';
import { PlayoutLedger, type Segment, SegmentQueue } from './segments.js';

export interface RecordingAudioOutputOptions {
  /** Rate of the output, in Hz (default 24000); frames at other rates are resampled. */
  sampleRate?: number;
  /** Default: real time. With a `VirtualClock`, audio plays as the test advances it. */
  clock?: Clock;
  /** Gets what is heard on its right channel; must have the output's rate. */
  recorder?: ConversationRecorder;
  /** Most unplayed audio held; `captureFrame` waits while more is buffered (default 1000 ms). */
  bufferMs?: number;
  /** How often the playhead moves (default 10 ms); timing is from the clock, not the tick count. */
  tickMs?: number;
  /** Fade of `pause()`, `resume()`, `clearBuffer()` and volume changes (default 20 ms). */
  fadeMs?: number;
}

/**
 * A mono AudioOutput whose playhead is the clock: buffered audio "plays" as
 * time passes, as in a loudspeaker, and what is heard (fades, ducking and
 * silences included) goes to the recorder at the time it was heard. The
 * playout tracking is exact to the sample: `playedSeconds` and each
 * segment's `playbackPosition` count the samples the playhead has passed.
 * The fade-out of `pause()` and `clearBuffer()` is a faded copy of the ~20 ms
 * after the playhead, so the playhead stays where the pause began and
 * `resume()` plays on from that very sample (fading in): nothing is lost.
 */
export class RecordingAudioOutput implements AudioOutput {
  readonly sampleRate: number;
  readonly numChannels = 1;
  readonly canPause = true;
  readonly #clock: Clock;
  readonly #recorder: ConversationRecorder | undefined;
  readonly #capacity: number;
  readonly #tickMs: number;
  readonly #fadeSamples: number;
  readonly #queue = new SegmentQueue();
  readonly #events = new TypedEventEmitter<AudioOutputEvents>();
  readonly #ledger = new PlayoutLedger((result) => this.#events.emit('playback_finished', result));
  #converter: AudioConverter | undefined;
  #nextId = 1;
  #lastFlushed: string | undefined;
  #last: Segment | undefined;
  /** Clock time of sample 0 of the current run of playback; unset while idle. */
  #anchor: number | undefined;
  #rendered = 0;
  #recorderIndex = 0;
  #cancelTimer: (() => void) | undefined;
  /** A faded copy of the audio at the playhead when paused or cleared, mixed in first. */
  #tail: Int16Array | undefined;
  #tailPos = 0;
  #paused = false;
  #fadeIn = 0;
  #gain = 1;
  #targetGain = 1;
  #waiters: (() => void)[] = [];
  #closed = false;
  #levelListener: ((at: number, ms: number, rms: number) => void) | undefined;

  constructor(options: RecordingAudioOutputOptions = {}) {
    this.sampleRate = options.sampleRate ?? 24_000;
    this.#clock = options.clock ?? realClock;
    this.#recorder = options.recorder;
    if (this.#recorder && this.#recorder.sampleRate !== this.sampleRate) {
      throw new RangeError(
        `the recorder runs at ${this.#recorder.sampleRate} Hz but the output at ${this.sampleRate} Hz: ` +
          'give both the same rate',
      );
    }
    this.#capacity = Math.round(((options.bufferMs ?? 1000) * this.sampleRate) / 1000);
    this.#tickMs = options.tickMs ?? 10;
    this.#fadeSamples = Math.max(1, Math.round(((options.fadeMs ?? 20) * this.sampleRate) / 1000));
  }

  on<E extends keyof AudioOutputEvents>(
    event: E,
    listener: (payload: AudioOutputEvents[E]) => void,
  ): this {
    // The contract's listener type is what the emitter's conditional one means for a payload.
    this.#events.on(event, listener as Listener<AudioOutputEvents[E]>);
    return this;
  }

  off<E extends keyof AudioOutputEvents>(
    event: E,
    listener: (payload: AudioOutputEvents[E]) => void,
  ): this {
    this.#events.off(event, listener as Listener<AudioOutputEvents[E]>);
    return this;
  }

  get playedSeconds(): number {
    this.#render();
    return (this.#last?.played ?? 0) / this.sampleRate;
  }

  /** True between `pause()` and `resume()`. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Unplayed samples held. */
  get bufferedSamples(): number {
    return this.#queue.buffered;
  }

  async captureFrame(frame: AudioFrame): Promise<void> {
    if (this.#closed) throw new Error('the audio output is closed: stop sending it frames');
    const open = this.#queue.open ?? this.#openSegment();
    for (const samples of this.#convert(frame)) this.#queue.append(open, samples);
    this.#activate();
    if (this.#queue.buffered <= this.#capacity) return;
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  flush(): string {
    const open = this.#queue.open;
    if (!open) return '';
    if (this.#converter) {
      for (const frame of this.#converter.flush()) this.#queue.append(open, frame.data);
    }
    this.#queue.close(open);
    this.#lastFlushed = open.id;
    // Everything it held may have played already (the producer was slower than real time).
    if (open.buffered === 0 && this.#queue.head === open) this.#finish(this.#queue.shift()!, false);
    else this.#activate();
    return open.id;
  }

  clearBuffer(): void {
    this.#render();
    if (!this.#paused) this.#startTail();
    const cleared = this.#queue.clear();
    this.#converter?.close();
    this.#converter = undefined;
    this.#paused = false;
    this.#fadeIn = 0;
    for (const segment of cleared) this.#finish(segment, true);
    this.#release();
    this.#idleIfDone();
  }

  pause(): void {
    if (this.#paused || this.#closed) return;
    this.#render();
    this.#startTail();
    this.#paused = true;
    this.#activate();
  }

  resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#render();
    this.#paused = false;
    // Crossfades with the pause's fade-out if that is still sounding: no click either way.
    this.#fadeIn = this.#fadeSamples;
    this.#activate();
  }

  setVolume(gain: number): void {
    this.#render();
    this.#targetGain = Math.min(1, Math.max(0, gain));
  }

  setLevelListener(listener: ((at: number, ms: number, rms: number) => void) | undefined): void {
    this.#levelListener = listener;
  }

  waitForPlayout(segmentId?: string, signal?: AbortSignal): Promise<PlaybackFinished> {
    return this.#ledger.wait(segmentId ?? this.#lastFlushed, this.#queue, signal);
  }

  /** Stops the playhead; what was not played finishes as interrupted. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#render();
    this.#closed = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#anchor = undefined;
    this.#converter?.close();
    for (const segment of this.#queue.clear()) this.#finish(segment, true);
    this.#release();
  }

  #openSegment(): Segment {
    const segment = this.#queue.openSegment(`seg_${this.#nextId++}`, new Future());
    this.#last = segment;
    return segment;
  }

  #convert(frame: AudioFrame): Int16Array[] {
    if (frame.sampleRate === this.sampleRate && frame.channels === 1) {
      return [frame.data.subarray(0, frame.samplesPerChannel)];
    }
    this.#converter ??= new AudioConverter({ sampleRate: this.sampleRate, numChannels: 1 });
    return this.#converter.push(frame).map((converted) => converted.data);
  }

  /** Copies the next fade's worth of audio at the playhead, ramped down to silence. */
  #startTail(): void {
    const ahead = this.#queue.peek(this.#fadeSamples);
    const tail = new Int16Array(ahead.length);
    for (let i = 0; i < ahead.length; i++) {
      tail[i] = Math.round(ahead[i]! * this.#gain * (1 - (i + 1) / this.#fadeSamples));
    }
    this.#tail = tail;
    this.#tailPos = 0;
  }

  /** Starts the playhead if there is something to play. */
  #activate(): void {
    if (this.#closed || this.#anchor !== undefined || !this.#hasWork()) return;
    this.#anchor = this.#clock.now();
    this.#rendered = 0;
    if (this.#recorder) this.#recorderIndex = this.#recorder.indexAt(this.#anchor);
    this.#schedule();
  }

  #hasWork(): boolean {
    return this.#tail !== undefined || (!this.#paused && this.#queue.buffered > 0);
  }

  #schedule(): void {
    this.#cancelTimer = this.#clock.setTimer(this.#tickMs, () => {
      this.#cancelTimer = undefined;
      this.#render();
      if (this.#anchor !== undefined) this.#schedule();
    });
  }

  /** Plays everything due by now: the playhead catches up with the clock. */
  #render(): void {
    if (this.#anchor === undefined || this.#closed) return;
    const due = Math.floor(((this.#clock.now() - this.#anchor) * this.sampleRate) / 1000);
    const samples = due - this.#rendered;
    if (samples <= 0) return;
    const tailLeft = this.#tail ? this.#tail.length - this.#tailPos : 0;
    const audible = Math.min(samples, Math.max(tailLeft, this.#paused ? 0 : this.#queue.buffered));
    const out = new Int32Array(audible);
    this.#mixTail(out);
    const events = this.#paused ? [] : this.#mixSegments(out);
    if (this.#recorder && audible > 0) {
      const heard = Int16Array.from(out, clamp16);
      this.#recorder.write('agent', this.#recorderIndex + this.#rendered, heard);
    }
    if (this.#levelListener) this.#reportLevel(out, samples);
    this.#rendered = due;
    for (const emit of events) emit();
    this.#release();
    this.#idleIfDone();
  }

  /** The RMS of the `samples` just played (`out` and silence after it), for a timeline. */
  #reportLevel(out: Int32Array, samples: number): void {
    let sum = 0;
    for (let i = 0; i < out.length; i++) {
      const v = clamp16(out[i]!);
      sum += v * v;
    }
    const rms = Math.sqrt(sum / samples) / 32768;
    this.#levelListener?.(this.#timeOf(this.#rendered), (samples * 1000) / this.sampleRate, rms);
  }

  #mixTail(out: Int32Array): void {
    if (!this.#tail) return;
    const count = Math.min(out.length, this.#tail.length - this.#tailPos);
    for (let i = 0; i < count; i++) out[i] = out[i]! + this.#tail[this.#tailPos + i]!;
    this.#tailPos += count;
    if (this.#tailPos >= this.#tail.length) this.#tail = undefined;
  }

  /** Plays segment audio into `out`; returns the events to emit once the state is consistent. */
  #mixSegments(out: Int32Array): (() => void)[] {
    const events: (() => void)[] = [];
    let i = 0;
    while (i < out.length) {
      const segment = this.#queue.head;
      if (!segment || segment.buffered === 0) break;
      if (!segment.started) {
        segment.started = true;
        const at = this.#timeOf(this.#rendered + i);
        events.push(() => this.#events.emit('playback_started', { segmentId: segment.id, at }));
      }
      const chunk = this.#queue.take(segment, out.length - i);
      for (let k = 0; k < chunk.length; k++, i++) out[i] = out[i]! + this.#shape(chunk[k]!);
      if (segment.buffered === 0 && segment.flushed) {
        this.#queue.shift();
        events.push(() => this.#finish(segment, false));
      }
    }
    return events;
  }

  /** Applies the volume (ramped, no zipper noise) and a resume's fade-in to one sample. */
  #shape(sample: number): number {
    if (this.#gain !== this.#targetGain) {
      const step = 1 / this.#fadeSamples;
      this.#gain =
        this.#gain < this.#targetGain
          ? Math.min(this.#targetGain, this.#gain + step)
          : Math.max(this.#targetGain, this.#gain - step);
    }
    let value = sample * this.#gain;
    if (this.#fadeIn > 0) {
      value *= 1 - this.#fadeIn / this.#fadeSamples;
      this.#fadeIn--;
    }
    return Math.round(value);
  }

  #timeOf(sampleIndex: number): number {
    return (this.#anchor as number) + (sampleIndex * 1000) / this.sampleRate;
  }

  #finish(segment: Segment, interrupted: boolean): void {
    this.#ledger.finish(segment, this.sampleRate, interrupted);
  }

  /** Lets waiting producers go on once the buffer has room (or nothing will ever play). */
  #release(): void {
    if (!this.#closed && this.#queue.buffered > this.#capacity) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Stops the playhead when nothing is left to sound: no timer runs while idle or paused. */
  #idleIfDone(): void {
    if (this.#hasWork() || this.#anchor === undefined) return;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#anchor = undefined;
  }
}
