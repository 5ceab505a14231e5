import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { log } from '@agents/core';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { type Inference, WindowBatcher } from './batch.js';
import type { ModelSampleRate } from './options.js';

/** Silero VAD v5 (MIT, Silero Team), shipped in this package; see models/NOTICE. */
export const BUNDLED_MODEL_PATH = fileURLToPath(
  new URL('../models/silero_vad_v5.onnx', import.meta.url),
);
export const BUNDLED_MODEL_SHA256 =
  '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f';
const BUNDLED_MODEL_BYTES = 2_327_524;

/** The model file is missing, damaged, or not a Silero VAD v5 model. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * Reads the bundled model and checks its SHA-256, so that a truncated install or a Git LFS
 * pointer fails here with an explanation instead of deep inside onnxruntime. (`path` is
 * there for tests.)
 */
export async function readBundledModel(path = BUNDLED_MODEL_PATH): Promise<Uint8Array> {
  const bytes = await readModelFile(path, true);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== BUNDLED_MODEL_SHA256) {
    throw new ModelFileError(
      `the Silero model at ${path} is damaged: ${bytes.length} bytes with sha256 ${actual}, ` +
        `expected ${BUNDLED_MODEL_BYTES} bytes with sha256 ${BUNDLED_MODEL_SHA256}. ` +
        'Reinstall @agents/plugin-silero (in a git checkout, a small file here is usually ' +
        'a Git LFS pointer: the model must be committed as a plain binary).',
      path,
    );
  }
  return bytes;
}

async function readModelFile(path: string, bundled: boolean): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      throw new ModelFileError(
        `modelPath ${path} is a folder: pass the path of the .onnx file itself`,
        path,
      );
    }
    if (code !== 'ENOENT') throw error;
    throw new ModelFileError(
      bundled
        ? `the Silero model is missing from ${path}: @agents/plugin-silero ships it in its ` +
            'models/ folder. Reinstall the package, and if you bundle your app, copy that ' +
            'folder along (or pass modelPath).'
        : `no Silero model at modelPath ${path}`,
      path,
    );
  }
}

/**
 * onnxruntime's defaults suit big models on idle machines: a thread per core, and threads
 * that spin while waiting for work. For a model this small that makes one idle stream burn
 * a whole core (measured here: 100 % against 3 % of a core), and streams fight over cores.
 * One thread, no spinning: each inference runs start to end on the thread that asked.
 */
const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  // The Node binding turns nested keys into onnxruntime's dotted session config entries.
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

const INPUTS = ['input', 'state', 'sr'];
const OUTPUTS = ['output', 'stateN'];
const STATE_LAYERS = 2;
const STATE_WIDTH = 128;
/** The recurrent state of one stream: two layers of 128 values. */
export const STATE_SIZE = STATE_LAYERS * STATE_WIDTH;

/**
 * One loaded model, shared by every stream of a VAD. It holds no per-stream state: each window
 * comes with its stream's recurrent state and the new state is written back, so concurrent
 * streams cannot disturb each other. The windows of all streams go through one batcher, which
 * runs those submitted in the same event-loop turn as one session call (see batch.ts).
 */
export class SileroModel {
  readonly sampleRate: ModelSampleRate;
  /** Samples per inference: v5 takes 512 at 16 kHz, 256 at 8 kHz. */
  readonly windowSize: number;
  /** Samples of the previous window that v5 expects in front of each window. */
  readonly contextSize: number;
  readonly #session: InferenceSession;
  readonly #Tensor: typeof Tensor;
  readonly #rate: Tensor;
  readonly #batcher: WindowBatcher;
  #closed = false;

  private constructor(
    session: InferenceSession,
    tensor: typeof Tensor,
    sampleRate: ModelSampleRate,
  ) {
    this.#session = session;
    this.#Tensor = tensor;
    this.sampleRate = sampleRate;
    this.windowSize = sampleRate === 16000 ? 512 : 256;
    this.contextSize = sampleRate === 16000 ? 64 : 32;
    this.#rate = new tensor('int64', BigInt64Array.of(BigInt(sampleRate)), []);
    this.#batcher = new WindowBatcher({
      windowLength: this.contextSize + this.windowSize,
      stateWidth: STATE_WIDTH,
      layers: STATE_LAYERS,
      run: (samples, states, size) => this.#run(samples, states, size),
    });
  }

  static async load(sampleRate: ModelSampleRate, modelPath?: string): Promise<SileroModel> {
    const bytes =
      modelPath === undefined ? await readBundledModel() : await readModelFile(modelPath, false);
    // Imported here, not at the top: importing the plugin (to register it, or in a process
    // that never runs the model) should not pay for loading onnxruntime's native library.
    const ort = await import('onnxruntime-node');
    const path = modelPath ?? BUNDLED_MODEL_PATH;
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    } catch (error) {
      throw new ModelFileError(
        `onnxruntime could not load ${path}: ${(error as Error).message}`,
        path,
      );
    }
    if (
      !INPUTS.every((name) => session.inputNames.includes(name)) ||
      !OUTPUTS.every((name) => session.outputNames.includes(name))
    ) {
      await session.release();
      throw new ModelFileError(
        `${path} is not a Silero VAD v5 model: it takes [${session.inputNames}] and gives ` +
          `[${session.outputNames}], expected [${INPUTS}] and [${OUTPUTS}]`,
        path,
      );
    }
    const model = new SileroModel(session, ort.Tensor, sampleRate);
    // The first run is several times slower than the rest (onnxruntime sets up lazily); pay
    // for it now, at load time, rather than in the first stream's first window.
    await model.infer(
      new Float32Array(model.contextSize + model.windowSize),
      new Float32Array(STATE_SIZE),
    );
    log().debug({ path, sampleRate }, 'silero model loaded');
    return model;
  }

  /**
   * Speech probability of one window, run together with the other streams' windows of this
   * event-loop turn. `samples` is the context followed by the window, floats in [-1, 1];
   * `state` is the stream's recurrent state, updated in place. Neither may change until the
   * promise settles.
   */
  infer(samples: Float32Array, state: Float32Array): Promise<Inference> {
    return this.#batcher.infer(samples, state);
  }

  async #run(samples: Float32Array, states: Float32Array, size: number) {
    const results = await this.#session.run({
      input: new this.#Tensor('float32', samples, [size, samples.length / size]),
      state: new this.#Tensor('float32', states, [STATE_LAYERS, size, STATE_WIDTH]),
      sr: this.#rate,
    });
    return {
      probabilities: results.output!.data as Float32Array,
      states: results.stateN!.data as Float32Array,
    };
  }

  /** Frees the session once a running call has ended; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#batcher.close(new Error('silero: the VAD was closed; load a new one'));
    await this.#session.release();
  }
}
