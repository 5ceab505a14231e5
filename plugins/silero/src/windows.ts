import { audio } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';

export interface WindowShape {
  /** The model's rate; input is resampled (and mixed down to mono) to it. */
  sampleRate: number;
  windowSize: number;
  /** Samples of the previous window put in front of each window. */
  contextSize: number;
}

/**
 * Turns frames of any rate, channel count and duration into the model's input: windows of
 * `windowSize` samples as floats, each preceded by the end of the one before. The caller
 * iterates the windows `push()` completes; a window's array is reused once iteration resumes,
 * so run the model on it before asking for the next.
 */
export class WindowAssembler {
  readonly #shape: WindowShape;
  readonly #converter: audio.AudioConverter;
  /** Context, then the window being filled. */
  readonly #samples: Float32Array;
  #filled = 0;
  /**
   * Frames to resample, held until they complete the current window. Each push into the
   * native resampler costs about as much as resampling 30 ms of audio, and a window cannot be
   * inferred before it is complete anyway, so pushing once per window costs no latency.
   */
  #pending: AudioFrame[] = [];
  #pendingSeconds = 0;

  constructor(shape: WindowShape) {
    this.#shape = shape;
    this.#converter = new audio.AudioConverter({ sampleRate: shape.sampleRate, numChannels: 1 });
    this.#samples = new Float32Array(shape.contextSize + shape.windowSize);
  }

  /** Adds a frame; yields each window it completes (none, one or several). */
  *push(frame: AudioFrame): Generator<Float32Array> {
    const { sampleRate, windowSize } = this.#shape;
    const held = this.#pending[0];
    if (held && (held.sampleRate !== frame.sampleRate || held.channels !== frame.channels)) {
      yield* this.#resamplePending();
    }
    // At the model's rate there is nothing to resample, so nothing to gain by waiting.
    if (frame.sampleRate === sampleRate) {
      yield* this.#fill(this.#converter.push(frame));
      return;
    }
    this.#pending.push(frame);
    this.#pendingSeconds += audio.frameDuration(frame);
    const missing = (windowSize - this.#filled) / sampleRate;
    if (this.#pendingSeconds >= missing - 1e-9) yield* this.#resamplePending();
  }

  /**
   * Passes on all audio received, including what the resampler holds. A partial window
   * stays, to be completed by the next push.
   */
  *flush(): Generator<Float32Array> {
    yield* this.#resamplePending();
    yield* this.#fill(this.#converter.flush());
  }

  close(): void {
    this.#converter.close();
  }

  *#resamplePending(): Generator<Float32Array> {
    const frames = this.#pending;
    if (frames.length === 0) return;
    this.#pending = [];
    this.#pendingSeconds = 0;
    const batch = frames.length === 1 ? frames[0]! : audio.combineFrames(frames);
    yield* this.#fill(this.#converter.push(batch));
  }

  *#fill(frames: AudioFrame[]): Generator<Float32Array> {
    const { windowSize, contextSize } = this.#shape;
    const samples = this.#samples;
    for (const { data, samplesPerChannel } of frames) {
      let offset = 0;
      while (offset < samplesPerChannel) {
        const take = Math.min(samplesPerChannel - offset, windowSize - this.#filled);
        const at = contextSize + this.#filled;
        for (let i = 0; i < take; i++) samples[at + i] = data[offset + i]! / 32768;
        this.#filled += take;
        offset += take;
        if (this.#filled === windowSize) {
          yield samples;
          // The end of this window is the next one's context.
          samples.copyWithin(0, windowSize);
          this.#filled = 0;
        }
      }
    }
  }
}
