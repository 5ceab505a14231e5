import { vad } from '@agents/core';
import { Throttle } from './lag.js';
import { SileroModel } from './model.js';
import {
  type DetectionOptions,
  detectionOptionsOf,
  resolveDetectionOptions,
  resolveSampleRate,
  type VADOptions,
  withoutUndefined,
} from './options.js';
import { VADStream } from './stream.js';

/**
 * Silero VAD v5 on onnxruntime, with the model shipped in this package. Loading takes a
 * moment, so load once per process (a job's `prewarm` is the place) and open one stream per
 * audio track: streams share the model but each keeps its own state.
 *
 * ```ts
 * const vad = await silero.VAD.load({ minSilenceDuration: 0.4 });
 * const stream = vad.stream();
 * ```
 */
export class VAD extends vad.VAD {
  readonly label = 'silero.VAD';
  readonly #model: SileroModel;
  #requested: Partial<DetectionOptions>;
  #options: DetectionOptions;
  readonly #streams = new Set<VADStream>();
  readonly #lagWarnings = new Throttle(10_000);
  #closed = false;

  private constructor(model: SileroModel, requested: Partial<DetectionOptions>) {
    super({ updateInterval: model.windowSize / model.sampleRate });
    this.#model = model;
    this.#requested = requested;
    this.#options = resolveDetectionOptions(requested);
  }

  /** Checks the options (a RangeError names a bad one) and loads the model. */
  static async load(options: VADOptions = {}): Promise<VAD> {
    const sampleRate = resolveSampleRate(options);
    const requested = withoutUndefined(detectionOptionsOf(options));
    // Checked before the model loads, so a typo fails at once rather than after the load.
    resolveDetectionOptions(requested);
    return new VAD(await SileroModel.load(sampleRate, options.modelPath), requested);
  }

  /** The rate audio is resampled to before inference. */
  get sampleRate(): number {
    return this.#model.sampleRate;
  }

  get options(): Readonly<DetectionOptions> {
    return this.#options;
  }

  /** A new detection with its own model state, starting from this VAD's options. */
  stream(): VADStream {
    if (this.#closed) throw new Error('silero.VAD: stream() called after close(); load a new VAD');
    const stream = new VADStream(this, {
      model: this.#model,
      requested: this.#requested,
      lagWarnings: this.#lagWarnings,
      onRunEnd: (ended) => this.#streams.delete(ended),
    });
    this.#streams.add(stream);
    return stream;
  }

  /**
   * Changes options for new streams and for every open one, from its next window. Invalid
   * values throw and change nothing here; a stream whose own options make the result
   * invalid keeps them, and its error is thrown once the others are updated.
   */
  updateOptions(update: Partial<DetectionOptions>): void {
    const requested = { ...this.#requested, ...withoutUndefined(update) };
    this.#options = resolveDetectionOptions(requested);
    this.#requested = requested;
    let failure: unknown;
    for (const stream of this.#streams) {
      try {
        stream.updateOptions(update);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
  }

  /** Closes the open streams and frees the model; the VAD cannot be used afterwards. */
  override async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#streams].map((stream) => stream.close()));
    await this.#model.close();
  }
}
