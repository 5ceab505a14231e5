import { JobLaunchError } from './job-launch-error.js';

interface Waiter {
  grant: () => void;
}

export interface StartupSlotsOptions {
  /** Processes allowed to initialize at once. */
  maxConcurrentInits: number;
  /** How long a job may wait for a slot. */
  launchQueueTimeoutMs: number;
  /** Jobs allowed to wait at once; one more is refused at once. */
  maxQueuedLaunches: number;
  /** A slot came free and no job wants it: the idle pool may use it. */
  onFree: () => void;
}

/**
 * Admission for process start-ups. Importing an agent file and running
 * `prewarm` is CPU-heavy; on a small machine, dozens at once all miss their
 * `initializeTimeoutMs`. So at most `maxConcurrentInits` processes initialize
 * at once, a process is forked only once it holds a slot (its initialize
 * clock starts then), and jobs wait for slots in a bounded FIFO with a
 * deadline. Jobs come first: idle-pool refills only take a slot no job is
 * waiting for.
 */
export class StartupSlots {
  readonly #options: StartupSlotsOptions;
  readonly #waiting: Waiter[] = [];
  #inUse = 0;

  constructor(options: StartupSlotsOptions) {
    this.#options = options;
  }

  /** Processes holding a slot (initializing), plus slots granted and not yet used. */
  get inUse(): number {
    return this.#inUse;
  }

  /** For the idle pool: takes a slot if one is free and no job waits for it. */
  tryAcquire(): boolean {
    if (this.#inUse >= this.#options.maxConcurrentInits || this.#waiting.length > 0) return false;
    this.#inUse++;
    return true;
  }

  /**
   * For a job: resolves once a slot is held (the caller must `release()` it
   * once its process has initialized or failed to). Rejects with a
   * `JobLaunchError` when the queue is full or the deadline passes, and with
   * `signal`'s reason on abort.
   */
  acquire(jobId: string, signal: AbortSignal): Promise<void> {
    const { maxConcurrentInits, launchQueueTimeoutMs, maxQueuedLaunches } = this.#options;
    signal.throwIfAborted();
    if (this.#inUse < maxConcurrentInits && this.#waiting.length === 0) {
      this.#inUse++;
      return Promise.resolve();
    }
    if (this.#waiting.length >= maxQueuedLaunches) {
      return Promise.reject(
        new JobLaunchError(
          'queue_full',
          jobId,
          `${maxQueuedLaunches} launches already wait for a process start-up slot ` +
            `(maxConcurrentInits ${maxConcurrentInits}): raise maxConcurrentInits or ` +
            'maxQueuedLaunches, or accept fewer jobs at once',
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          resolve();
        },
      };
      const onAbort = () => {
        leave();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        leave();
        reject(
          new JobLaunchError(
            'queue_timeout',
            jobId,
            `waited ${launchQueueTimeoutMs} ms for a process start-up slot ` +
              `(maxConcurrentInits ${maxConcurrentInits}): raise maxConcurrentInits or launchQueueTimeoutMs`,
          ),
        );
      }, launchQueueTimeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** A process has initialized (or failed to): its slot goes to the first waiting job, else to the pool. */
  release(): void {
    const next = this.#waiting[0];
    if (next) {
      next.grant(); // the slot changes hands: `inUse` stays
      return;
    }
    this.#inUse = Math.max(0, this.#inUse - 1);
    this.#options.onFree();
  }
}
