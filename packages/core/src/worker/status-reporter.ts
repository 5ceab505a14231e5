import type { UpdateWorkerStatus } from '@livekit/protocol';
import type { Logger } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { loadProtocol } from './protocol.js';

/**
 * What a worker without a load threshold reports at most: under the server's
 * default target load (0.7), below which it still claims jobs for its workers.
 */
const MAX_LOAD_WHEN_UNBOUNDED = 0.5;

export interface StatusReporterOptions {
  /** The user's load function (0 to 1), or the CPU sampler. */
  loadFnc: () => number | Promise<number>;
  loadThreshold: number;
  /** How often the status is sent. */
  intervalMs: number;
  /** A `loadFnc` slower than this is not waited for: the last value stands. */
  loadTimeoutMs: number;
  /** Jobs running or starting, and how many the worker takes at most. */
  jobs: () => { count: number; capacity: number };
  /** Why the worker takes no job now (draining, an agent file that cannot load), if so. */
  blocked: () => string | undefined;
  send: (status: UpdateWorkerStatus) => void;
  logger: Logger;
}

/**
 * Reports the worker's load and availability to the server: every
 * `intervalMs`, and at once when availability changes (a job taken or
 * ended at the edge of capacity). The load comes from user code, so it is
 * read with a deadline; a slow or failing `loadFnc` leaves the last value in
 * place, with one warning. Reports never pile up: a report asked for while
 * one is under way runs once after it.
 */
export class StatusReporter {
  readonly #options: StatusReporterOptions;
  #timer: NodeJS.Timeout | undefined;
  #load = 0;
  #full = false;
  #inFlight: Promise<void> | undefined;
  #again = false;
  #warnedSlow = false;
  #warnedFailed = false;

  constructor(options: StatusReporterOptions) {
    this.#options = options;
  }

  /** The last load measured. */
  get load(): number {
    return this.#load;
  }

  /** Why a job offered now would be refused, or undefined if the worker can take it. */
  refusal(): string | undefined {
    const blocked = this.#options.blocked();
    if (blocked) return blocked;
    const { count, capacity } = this.#options.jobs();
    if (count >= capacity) return `at capacity: ${count} of maxJobs ${capacity} jobs`;
    if (this.#load >= this.#options.loadThreshold) {
      return `load ${this.#load.toFixed(2)} >= loadThreshold ${this.#options.loadThreshold}`;
    }
    return undefined;
  }

  start(): void {
    if (this.#timer) return;
    void this.report();
    this.#timer = setInterval(() => void this.report(), this.#options.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Sends a report now, or once the one under way is done. */
  report(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    this.#inFlight = this.#measureAndSend().finally(() => {
      this.#inFlight = undefined;
      if (this.#again) {
        this.#again = false;
        void this.report();
      }
    });
    return this.#inFlight;
  }

  /** Sends at once if availability changed since the last report (e.g. a job was taken). */
  refresh(): void {
    if ((this.refusal() !== undefined) !== this.#full) void this.report();
  }

  async #measureAndSend(): Promise<void> {
    await this.#measure();
    const refusal = this.refusal();
    const full = refusal !== undefined;
    if (full !== this.#full) {
      this.#options.logger.info(
        { load: this.#load, reason: refusal },
        full
          ? 'worker is full; marking it unavailable'
          : 'worker has capacity; marking it available',
      );
    }
    this.#full = full;
    const { UpdateWorkerStatus, WorkerStatus } = loadProtocol();
    this.#options.send(
      new UpdateWorkerStatus({
        status: full ? WorkerStatus.WS_FULL : WorkerStatus.WS_AVAILABLE,
        load: this.#reportedLoad(),
        jobCount: this.#options.jobs().count,
      }),
    );
  }

  /**
   * The server drops a job when every worker reports a load at or above its
   * target (0.7 by default), and never picks one at 1. A worker told to take
   * jobs at any load (`loadThreshold` above 1, as in `dev`) reports at most
   * 0.5, so a busy laptop still gets its developer's jobs.
   */
  #reportedLoad(): number {
    return this.#options.loadThreshold > 1
      ? Math.min(this.#load, MAX_LOAD_WHEN_UNBOUNDED)
      : this.#load;
  }

  async #measure(): Promise<void> {
    const { loadFnc, loadTimeoutMs, logger } = this.#options;
    try {
      const load = await withDeadline(
        Promise.resolve().then(loadFnc),
        loadTimeoutMs,
        `loadFnc did not return within ${loadTimeoutMs} ms`,
      );
      if (typeof load !== 'number' || !Number.isFinite(load)) {
        throw new TypeError(`loadFnc must return a number from 0 to 1 (got ${String(load)})`);
      }
      this.#load = Math.min(1, Math.max(0, load));
    } catch (error) {
      const slow = error instanceof Error && error.name === 'DeadlineError';
      if (slow ? !this.#warnedSlow : !this.#warnedFailed) {
        if (slow) this.#warnedSlow = true;
        else this.#warnedFailed = true;
        logger.warn(
          { reason: errorMessage(error), load: this.#load },
          'could not read the load; keeping the last value (warned once)',
        );
      }
    }
  }
}
