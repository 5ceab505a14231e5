import { audio } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { Decimator } from './decimator.js';
import { writeMonoFloats } from './mono.js';

export interface WindowShape {
  /** The model's rate; input is resampled (and mixed down to mono) to it. */
  sampleRate: number;
  windowSize: number;
  /** Samples of the previous window put in front of each window. */
  contextSize: number;
}

/**
 * Turns frames of any rate, channel count and duration into the model's input: windows of
 * `windowSize` samples as floats, each preceded by the end of the one before.
 *
 * `write()` a frame, then call `next()` until it returns undefined: each call gives the next
 * complete window. A window's array is reused by the following `next()` or `write()`, so run
 * the model on it before either.
 *
 * How input reaches the model's rate: as is at that rate; through a `Decimator` (pure
 * JavaScript, no delay, nothing allocated per frame) when the rate is a whole multiple of it,
 * as a room's 48 kHz is of 16 kHz; through core's AudioConverter (rtc-node's native
 * resampler) for any other rate, e.g. 24 or 44.1 kHz.
 */
export class WindowAssembler {
  readonly #shape: WindowShape;
  /** Context, then the window being filled, then samples beyond it not yet windowed. */
  #buffer: Float32Array;
  /** The context and the window: the start of `#buffer`, handed to the model. */
  #window: Float32Array;
  /** Samples after the context. */
  #filled = 0;
  /** A window was handed out: it moves out of the buffer at the next call. */
  #handedOut = false;
  /** The input rate the current segment runs at (0 before the first frame). */
  #inputRate = 0;
  #decimator: Decimator | undefined;
  /** Kept across rate changes (it is costly to make); used only while `#converting`. */
  #converter: audio.AudioConverter | undefined;
  #converting = false;
  /**
   * Frames for the converter, held until they complete the current window. Each push into the
   * native resampler costs about as much as resampling 30 ms of audio, and a window cannot be
   * inferred before it is complete anyway, so pushing once per window costs no latency.
   */
  #pending: AudioFrame[] = [];
  #pendingSeconds = 0;

  constructor(shape: WindowShape) {
    this.#shape = shape;
    this.#buffer = new Float32Array(2 * (shape.contextSize + shape.windowSize));
    this.#window = this.#buffer.subarray(0, shape.contextSize + shape.windowSize);
  }

  /** Adds a frame; `next()` then gives the windows it completes. */
  write(frame: AudioFrame): void {
    this.#release();
    const { sampleRate, channels, samplesPerChannel, data } = frame;
    if (sampleRate !== this.#inputRate) this.#switchRate(sampleRate);
    const decimator = this.#decimator;
    if (decimator) {
      this.#reserve(decimator.maxOutputs(samplesPerChannel));
      const at = this.#shape.contextSize + this.#filled;
      this.#filled += decimator.push(data, channels, samplesPerChannel, this.#buffer, at);
    } else if (this.#converting) {
      this.#convert(frame);
    } else {
      this.#append(data, channels, samplesPerChannel);
    }
  }

  /** The next complete window, or undefined until more audio is written. */
  next(): Float32Array | undefined {
    this.#release();
    if (this.#filled < this.#shape.windowSize) return undefined;
    this.#handedOut = true;
    return this.#window;
  }

  /**
   * Passes on all audio received, including what the resampler holds back; `next()` then
   * gives the windows that completes. A partial window stays, to be completed by later audio.
   */
  flush(): void {
    this.#release();
    this.#endInputRate();
  }

  close(): void {
    this.#converter?.close();
    this.#converter = undefined;
  }

  #switchRate(rate: number): void {
    this.#endInputRate();
    this.#inputRate = rate;
    const modelRate = this.#shape.sampleRate;
    if (rate !== modelRate && rate % modelRate === 0) {
      this.#decimator = new Decimator(rate / modelRate);
    } else if (rate !== modelRate) {
      this.#converting = true;
      this.#converter ??= new audio.AudioConverter({ sampleRate: modelRate, numChannels: 1 });
    }
  }

  /** Lets out what the current rate's resampler holds; the next frame starts afresh. */
  #endInputRate(): void {
    const decimator = this.#decimator;
    if (decimator) {
      this.#reserve(decimator.maxOutputs(0));
      this.#filled += decimator.flush(this.#buffer, this.#shape.contextSize + this.#filled);
      this.#decimator = undefined;
    } else if (this.#converting && this.#converter) {
      this.#convertPending();
      this.#appendFrames(this.#converter.flush());
    }
    this.#converting = false;
    this.#inputRate = 0;
  }

  #convert(frame: AudioFrame): void {
    const held = this.#pending[0];
    if (held && held.channels !== frame.channels) this.#convertPending();
    this.#pending.push(frame);
    this.#pendingSeconds += audio.frameDuration(frame);
    const { windowSize, sampleRate } = this.#shape;
    const missing = (windowSize - this.#filled) / sampleRate;
    if (this.#pendingSeconds >= missing - 1e-9) this.#convertPending();
  }

  #convertPending(): void {
    const frames = this.#pending;
    if (frames.length === 0 || !this.#converter) return;
    this.#pending = [];
    this.#pendingSeconds = 0;
    const batch = frames.length === 1 ? frames[0]! : audio.combineFrames(frames);
    this.#appendFrames(this.#converter.push(batch));
  }

  #appendFrames(frames: AudioFrame[]): void {
    for (const { data, channels, samplesPerChannel } of frames) {
      this.#append(data, channels, samplesPerChannel);
    }
  }

  /** Appends samples at the model's rate, mixed down to mono. */
  #append(data: Int16Array, channels: number, samplesPerChannel: number): void {
    this.#reserve(samplesPerChannel);
    writeMonoFloats(
      data,
      channels,
      samplesPerChannel,
      this.#buffer,
      this.#shape.contextSize + this.#filled,
    );
    this.#filled += samplesPerChannel;
  }

  /** Moves a window handed out of the buffer: its end becomes the next one's context. */
  #release(): void {
    if (!this.#handedOut) return;
    this.#handedOut = false;
    const { windowSize, contextSize } = this.#shape;
    this.#buffer.copyWithin(0, windowSize, contextSize + this.#filled);
    this.#filled -= windowSize;
  }

  #reserve(samples: number): void {
    const needed = this.#shape.contextSize + this.#filled + samples;
    if (needed <= this.#buffer.length) return;
    const grown = new Float32Array(2 * needed);
    grown.set(this.#buffer.subarray(0, this.#shape.contextSize + this.#filled));
    this.#buffer = grown;
    this.#window = grown.subarray(0, this.#shape.contextSize + this.#shape.windowSize);
  }
}
