/** What one call of the model gives back for a batch of `size` windows. */
export interface BatchResult {
  /** One speech probability per window, in the order given. */
  probabilities: Float32Array;
  /** The new states, laid out as the model takes them: [layer][window][STATE_WIDTH]. */
  states: Float32Array;
}

/**
 * One model call over `size` windows: `samples` holds them one after another, `states` their
 * recurrent states laid out as [layer][window][STATE_WIDTH]. (onnxruntime-node's `run` is
 * async in name only: it defers to `setImmediate` and then runs on the main thread.)
 */
export type RunBatch = (
  samples: Float32Array,
  states: Float32Array,
  size: number,
) => Promise<BatchResult>;

/** What a window's submitter gets back. */
export interface Inference {
  probability: number;
  /** This window's share of its model call: the call's time over the windows in it. */
  durationMs: number;
}

export interface BatcherOptions {
  /** Floats per window (the context and the window itself). */
  windowLength: number;
  /** Floats per layer of one window's state. */
  stateWidth: number;
  /** Layers of the state (2 for Silero v5). */
  layers: number;
  run: RunBatch;
  /** Most windows in one model call. */
  maxBatch?: number;
  /** Most windows waiting; one more is refused with an error. */
  maxPending?: number;
}

interface Request {
  samples: Float32Array;
  state: Float32Array;
  resolve: (inference: Inference) => void;
  reject: (error: unknown) => void;
}

/**
 * Measured on the shared 2 vCPU VM (onnxruntime-node 1.30, one intra-op thread), CPU per
 * window of one call: about 130 us for one window, 42 for 16, 40 for 32 and 64, 37 for 128
 * and 256. Most of a one-window call is onnxruntime's fixed cost per call, which a batch pays
 * once. 128 rows is a call of about 5 ms: a few hundred streams then take two or three calls
 * per 32 ms window, each a turn of its own, instead of seven at 32 rows.
 */
const DEFAULT_MAX_BATCH = 128;
/**
 * Each stream has at most one window in flight (it waits for the result before the next), so
 * this is a bound on open streams per model, far above what a process can run in real time.
 */
const DEFAULT_MAX_PENDING = 4096;

/**
 * Runs the windows of every stream sharing a model in as few model calls as possible. A
 * pushed frame reaches its stream's window through promise continuations (microtasks), so
 * the windows of one event-loop turn are all submitted by the time the microtasks drain; the
 * batch closes then (`process.nextTick` from inside a microtask runs after the drain), and
 * onnxruntime-node's `run` itself defers the call to `setImmediate`. So batching adds no turn
 * of the event loop and no timer delay.
 *
 * Each window carries its own recurrent state, copied into the batch and back out, so a
 * stream's results are exactly those of running it alone: onnxruntime computes each row of a
 * batch with the same arithmetic whatever the other rows are (test/batch.test.ts checks this
 * bit for bit). A failed call rejects the windows in that call only.
 */
export class WindowBatcher {
  readonly #options: Required<BatcherOptions>;
  #pending: Request[] = [];
  /** A turn is booked, or a call is running: either way the pending windows will be seen. */
  #scheduled = false;
  #running: Promise<void> | undefined;
  #closedError: Error | undefined;
  /** Reused batch buffers, grown to the largest batch seen (at most `maxBatch` windows). */
  #samples = new Float32Array(0);
  #states = new Float32Array(0);

  constructor(options: BatcherOptions) {
    this.#options = {
      maxBatch: DEFAULT_MAX_BATCH,
      maxPending: DEFAULT_MAX_PENDING,
      ...options,
    };
  }

  /** Windows waiting for the next model call. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Speech probability of one window; `state` (`layers * stateWidth` floats) is updated in
   * place when the result arrives. Neither array may change until the promise settles.
   */
  infer(samples: Float32Array, state: Float32Array): Promise<Inference> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const { windowLength, stateWidth, layers, maxPending } = this.#options;
    if (samples.length !== windowLength || state.length !== stateWidth * layers) {
      return Promise.reject(
        new RangeError(
          `silero: a window takes ${windowLength} samples and ${stateWidth * layers} state ` +
            `values, got ${samples.length} and ${state.length}`,
        ),
      );
    }
    if (this.#pending.length >= maxPending) {
      return Promise.reject(
        new Error(
          `silero: ${maxPending} windows already wait for inference; this process runs more ` +
            'streams than it can serve (spread them over more processes)',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ samples, state, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Refuses new windows and rejects the waiting ones with `error`; resolves once a call
   * already running has ended, so the model can be freed after it.
   */
  async close(error: Error): Promise<void> {
    this.#closedError ??= error;
    const waiting = this.#pending;
    this.#pending = [];
    for (const request of waiting) request.reject(error);
    await this.#running;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => {
      this.#running = this.#runNext();
    });
  }

  /**
   * One model call over the oldest windows, then another for the rest: one call at a time
   * (the buffers are shared, and calls would queue on the main thread anyway), each in a turn
   * of its own, so the event loop breathes between calls.
   */
  async #runNext(): Promise<void> {
    const batch = this.#pending.splice(0, this.#options.maxBatch);
    if (batch.length > 0) {
      const started = performance.now();
      try {
        const result = await this.#call(batch);
        this.#distribute(batch, result, (performance.now() - started) / batch.length);
      } catch (error) {
        for (const request of batch) request.reject(error);
      }
    }
    this.#scheduled = false;
    if (this.#pending.length > 0) this.#schedule();
  }

  async #call(batch: Request[]): Promise<BatchResult> {
    const { windowLength, stateWidth, layers, run } = this.#options;
    const size = batch.length;
    // A lone window's arrays already have the layout of a batch of one: no copies.
    if (size === 1) return this.#checked(await run(batch[0]!.samples, batch[0]!.state, 1), 1);
    if (this.#samples.length < size * windowLength) {
      this.#samples = new Float32Array(size * windowLength);
      this.#states = new Float32Array(size * stateWidth * layers);
    }
    const samples = this.#samples.subarray(0, size * windowLength);
    const states = this.#states.subarray(0, size * stateWidth * layers);
    batch.forEach(({ samples: window, state }, row) => {
      samples.set(window, row * windowLength);
      for (let layer = 0; layer < layers; layer++) {
        const from = layer * stateWidth;
        states.set(state.subarray(from, from + stateWidth), (layer * size + row) * stateWidth);
      }
    });
    return this.#checked(await run(samples, states, size), size);
  }

  #checked(result: BatchResult, size: number): BatchResult {
    const stateValues = size * this.#options.stateWidth * this.#options.layers;
    if (result.probabilities.length !== size || result.states.length !== stateValues) {
      throw new Error(
        `silero: the model gave ${result.probabilities.length} probabilities and ` +
          `${result.states.length} state values for ${size} windows; is it a Silero VAD v5 model?`,
      );
    }
    return result;
  }

  #distribute(batch: Request[], { probabilities, states }: BatchResult, durationMs: number): void {
    const { stateWidth, layers } = this.#options;
    const size = batch.length;
    batch.forEach(({ state, resolve }, row) => {
      for (let layer = 0; layer < layers; layer++) {
        const from = (layer * size + row) * stateWidth;
        state.set(states.subarray(from, from + stateWidth), layer * stateWidth);
      }
      resolve({ probability: probabilities[row]!, durationMs });
    });
  }
}
