import { AssertionError } from 'node:assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/** A real gc() when the runtime lets us turn it on (it does under Node's V8), else none. */
function collector(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    gc = null;
  }
  return gc;
}

/**
 * Heap plus external memory (audio lives in ArrayBuffers, outside the heap), in MB,
 * after a full collection when one can be forced.
 */
export async function memoryInUseMB(): Promise<number> {
  const collect = collector();
  if (collect) {
    collect();
    // Finalizers of what was collected run on the next turn; then collect again.
    await new Promise((resolve) => setImmediate(resolve));
    collect();
  }
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.external) / 2 ** 20;
}

/**
 * Samples memory at 10 % and 90 % of a long run: growth between the two is
 * what the run keeps per unit of work (a leak), while warm-up (caches, JIT,
 * buffers at their high-water mark) is over by 10 %.
 */
export class MemorySampler {
  #early: number | undefined;
  #late: number | undefined;
  #pending: Promise<void> | undefined;

  /** Call with the fraction done (0 to 1); takes a sample when it crosses 10 % and 90 %. */
  progress(fraction: number): void {
    if (this.#early === undefined && fraction >= 0.1 && !this.#pending) {
      this.#pending = memoryInUseMB().then((mb) => {
        this.#early = mb;
        this.#pending = undefined;
      });
    } else if (
      this.#early !== undefined &&
      this.#late === undefined &&
      fraction >= 0.9 &&
      !this.#pending
    ) {
      this.#pending = memoryInUseMB().then((mb) => {
        this.#late = mb;
        this.#pending = undefined;
      });
    }
  }

  /** Waits for a sample in progress (call before the next chunk of work). */
  async settled(): Promise<void> {
    await this.#pending;
  }

  /** Throws an AssertionError if memory grew more than `boundMB` from 10 % to 90 %. */
  async assertFlat(what: string, boundMB: number): Promise<{ earlyMB: number; lateMB: number }> {
    await this.#pending;
    if (this.#early === undefined || this.#late === undefined) {
      throw new AssertionError({
        message: `${what}: the run ended before both memory samples (10 %, 90 %)`,
      });
    }
    const grew = this.#late - this.#early;
    if (grew > boundMB) {
      throw new AssertionError({
        message:
          `${what}: memory grew ${grew.toFixed(1)} MB between 10 % and 90 % of the run ` +
          `(${this.#early.toFixed(1)} → ${this.#late.toFixed(1)} MB; bound ${boundMB} MB): ` +
          'something is kept per frame or per event',
      });
    }
    return { earlyMB: this.#early, lateMB: this.#late };
  }
}
