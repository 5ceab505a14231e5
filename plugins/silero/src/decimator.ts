import { writeMonoFloats } from './mono.js';

/**
 * Taps on each side of the centre, per unit of the decimation factor: 7 gives a filter of
 * 14 * factor + 1 taps (43 for 48 -> 16 kHz) whose transition runs from about 0.37 to 0.63 of
 * the output's Nyquist rate (5.9 to 10.1 kHz at 16 kHz out) with the Kaiser window below.
 */
const HALF_TAPS_PER_FACTOR = 7;
/**
 * Kaiser window shape for about 60 dB of stop-band attenuation: aliases land at least that far
 * below the speech, under the noise floor of any microphone, and far below what moves Silero's
 * probability. The transition band is wide on purpose: speech that matters for voice activity
 * lies below 4 kHz, and what folds from 8-10 kHz lands in 6-8 kHz, the least useful band.
 */
const KAISER_BETA = 5.65;

/**
 * Reduces the sample rate by an integer factor (48 -> 16 kHz, 32 -> 16, 16 -> 8...) in plain
 * JavaScript: a linear-phase low-pass FIR (windowed sinc, cut off at the output's Nyquist
 * rate) evaluated only at the samples kept. Frames of 16-bit PCM go in, mixed down to mono;
 * floats in [-1, 1] come out, written straight into the caller's array.
 *
 * Output sample j is the filter centred on input sample j * factor, so the output has no delay
 * against the input (times computed from output sample counts are input times); the price is
 * that output j waits until `halfLength` input samples after its centre have arrived. `flush()`
 * pads the end of the input with silence to release the last outputs.
 *
 * Nothing is allocated per frame once the history buffer has grown to the largest frame seen.
 */
export class Decimator {
  readonly factor: number;
  /** Input samples on each side of an output's centre. */
  readonly halfLength: number;
  readonly #taps: Float64Array;
  /** Mono input, from `halfLength` samples before the next output's centre onwards. */
  #input: Float64Array;
  #length = 0;
  /** Input samples received since the start (or the last flush), to count the last outputs. */
  #received = 0;
  #emitted = 0;

  constructor(factor: number) {
    if (!Number.isInteger(factor) || factor < 2) {
      throw new RangeError(`decimation factor must be an integer >= 2, got ${factor}`);
    }
    this.factor = factor;
    this.halfLength = HALF_TAPS_PER_FACTOR * factor;
    this.#taps = lowPass(this.halfLength, factor);
    this.#input = new Float64Array(4 * this.halfLength + 4 * factor);
    this.#reset();
  }

  /** The most outputs one push of `samplesPerChannel` samples (or a flush) can give. */
  maxOutputs(samplesPerChannel: number): number {
    return Math.ceil((samplesPerChannel + this.halfLength + this.factor) / this.factor) + 1;
  }

  /**
   * Takes a frame's samples (interleaved, `channels` per instant); writes the outputs they
   * complete into `out` from `at` and returns how many. `out` must have room for
   * `maxOutputs(samplesPerChannel)`.
   */
  push(
    data: Int16Array,
    channels: number,
    samplesPerChannel: number,
    out: Float32Array,
    at: number,
  ): number {
    this.#reserve(samplesPerChannel);
    this.#length = writeMonoFloats(data, channels, samplesPerChannel, this.#input, this.#length);
    this.#received += samplesPerChannel;
    return this.#run(out, at);
  }

  /**
   * Gives the outputs still waiting for input after their centre, as if the input went on in
   * silence, and starts over: the next push begins a new segment.
   */
  flush(out: Float32Array, at: number): number {
    const wanted = Math.ceil(this.#received / this.factor) - this.#emitted;
    this.#reserve(this.halfLength);
    this.#input.fill(0, this.#length, this.#length + this.halfLength);
    this.#length += this.halfLength;
    const written = this.#run(out, at, wanted);
    this.#reset();
    return written;
  }

  #run(out: Float32Array, at: number, limit = Number.POSITIVE_INFINITY): number {
    const taps = this.#taps;
    const input = this.#input;
    const half = this.halfLength;
    const span = 2 * half + 1;
    const step = this.factor;
    const length = this.#length;
    const centre = taps[half]!;
    // `start` is the first input sample under the filter for the next output.
    let start = 0;
    let written = 0;
    while (start + span <= length && written < limit) {
      // The taps are symmetric: add the two samples that share a tap, then multiply once.
      const end = start + span - 1;
      let even = centre * input[start + half]!;
      let odd = 0;
      let k = 0;
      for (; k + 1 < half; k += 2) {
        even += taps[k]! * (input[start + k]! + input[end - k]!);
        odd += taps[k + 1]! * (input[start + k + 1]! + input[end - k - 1]!);
      }
      if (k < half) even += taps[k]! * (input[start + k]! + input[end - k]!);
      out[at + written++] = even + odd;
      start += step;
    }
    this.#emitted += written;
    if (start > 0) {
      input.copyWithin(0, start, length);
      this.#length = length - start;
    }
    return written;
  }

  #reserve(samples: number): void {
    if (this.#length + samples <= this.#input.length) return;
    const grown = new Float64Array(2 * (this.#length + samples));
    grown.set(this.#input.subarray(0, this.#length));
    this.#input = grown;
  }

  #reset(): void {
    // Silence before the first sample, so that output 0 is centred on input sample 0.
    this.#input.fill(0, 0, this.halfLength);
    this.#length = this.halfLength;
    this.#received = 0;
    this.#emitted = 0;
  }
}

/** Kaiser-windowed sinc, cut off at 1 / (2 * factor) of the input rate, unit gain at DC. */
function lowPass(halfLength: number, factor: number): Float64Array {
  const taps = new Float64Array(2 * halfLength + 1);
  const cutoff = 0.5 / factor;
  const norm = besselI0(KAISER_BETA);
  let sum = 0;
  for (let i = 0; i < taps.length; i++) {
    const n = i - halfLength;
    const sinc = n === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * n) / (Math.PI * n);
    const r = n / halfLength;
    const window = besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / norm;
    taps[i] = sinc * window;
    sum += taps[i]!;
  }
  for (let i = 0; i < taps.length; i++) taps[i] = taps[i]! / sum;
  return taps;
}

/** Modified Bessel function of the first kind, order 0 (its power series). */
function besselI0(x: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; term > 1e-12 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}
