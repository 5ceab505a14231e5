import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import { Future } from '../utils/future.js';
import { retryDelay } from '../utils/retry.js';
import type { RunningJobInfo } from './job-info.js';
import { SupervisedProcess, type SupervisedProcessOptions } from './supervised-process.js';

/** What each process gets (see `SupervisedProcessOptions`), and how many wait ready. */
export interface ProcPoolOptions extends Omit<SupervisedProcessOptions, 'jobMainPath'> {
  /** Processes kept initialized and waiting, so a job starts without waiting for `prewarm`. */
  numIdleProcesses: number;
}

/** Starting points for a worker; tests use much smaller timeouts. */
export const DEFAULT_PROC_POOL_OPTIONS = Object.freeze({
  numIdleProcesses: 3,
  initializeTimeoutMs: 10_000,
  shutdownTimeoutMs: 60_000,
  pingIntervalMs: 2_500,
  // A voice job whose event loop is blocked this long is broken, not busy.
  pingTimeoutMs: 30_000,
  memoryWarnMB: 500,
}) satisfies Omit<ProcPoolOptions, 'agentFile'>;

export interface ProcPoolEvents {
  /** The child acknowledged the job; its entry is starting. */
  job_started: { jobId: string };
  /** The job's process has exited and been reaped: its slot is free. Once per `job_started`. */
  job_exited: { jobId: string; status: 'success' | 'failed'; error?: string };
}

interface JobSlot {
  info: RunningJobInfo;
  proc: SupervisedProcess;
  /** `job_started` was emitted, so `job_exited` is owed. */
  started: boolean;
}

/** The first retry after a process fails to initialize; doubles up to the cap. */
const INIT_RETRY_MS = 500;
const INIT_RETRY_MAX_MS = 30_000;

/**
 * One child process per job, taken from a warm pool of processes that have
 * already imported the agent file and run `prewarm`. A process runs one job
 * and exits; the pool keeps `numIdleProcesses` ready by starting new ones.
 */
export class ProcPool extends TypedEventEmitter<ProcPoolEvents> {
  readonly #options: ProcPoolOptions;
  readonly #jobMainPath: string;
  /** Every process not yet reaped. */
  readonly #processes = new Set<SupervisedProcess>();
  /** Initialized and waiting for a job, oldest first. */
  #idle: SupervisedProcess[] = [];
  /** Initializing and not yet claimed by a job, oldest first (a Set keeps insertion order). */
  readonly #warming = new Set<SupervisedProcess>();
  readonly #jobs = new Map<string, JobSlot>();
  #started = false;
  #draining = false;
  #closing: Promise<void> | undefined;
  /** Consecutive initialization failures, for the backoff before the next attempt. */
  #initFailures = 0;
  #refillTimer: ReturnType<typeof setTimeout> | undefined;
  #noJobs: Future<void> | undefined;
  #exitHooked = false;
  // Children end on their own when the worker's IPC channel closes, but one
  // that is stuck in a loop would not notice: on any exit of the worker that
  // still runs JavaScript (process.exit, an uncaught error) kill them outright.
  readonly #killAllOnExit = () => {
    for (const proc of this.#processes) proc.killNow();
  };

  constructor(options: ProcPoolOptions) {
    super();
    checkOptions(options);
    this.#options = { ...options, agentFile: resolve(options.agentFile) };
    if (!existsSync(this.#options.agentFile)) {
      throw new Error(`agent file not found: ${this.#options.agentFile}`);
    }
    this.#jobMainPath = fileURLToPath(new URL('./job-main.js', import.meta.url));
    if (!existsSync(this.#jobMainPath)) {
      // Only when running from source: job-main.ts must be compiled to be forked.
      throw new Error(`${this.#jobMainPath} not found; build @agents/core first`);
    }
  }

  /** Fills the idle pool; resolves once the first batch has initialized (or failed to). */
  async start(): Promise<void> {
    if (this.#closing) throw new Error('the process pool is closed');
    if (this.#started) return;
    this.#started = true;
    this.#refill();
    await Promise.allSettled([...this.#warming].map((proc) => proc.initialized));
  }

  get activeJobs(): RunningJobInfo[] {
    return [...this.#jobs.values()].map((slot) => slot.info);
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /**
   * Runs a job in an idle process (or, when none is ready, the one closest to
   * ready, or a new one) and resolves once the child has acknowledged it.
   * Rejects if the process cannot initialize or does not answer; no
   * `job_started` / `job_exited` is emitted for such a job.
   */
  async launchJob(info: RunningJobInfo): Promise<void> {
    if (this.#closing) throw new Error('the process pool is closed');
    const jobId = info.job.id;
    if (this.#jobs.has(jobId)) throw new Error(`job ${jobId} is already running`);
    const proc = this.#takeProcess();
    const slot: JobSlot = { info, proc, started: false };
    this.#jobs.set(jobId, slot);
    this.#refill();
    try {
      await proc.startJob(info);
    } catch (error) {
      if (this.#jobs.get(jobId) === slot) this.#jobs.delete(jobId);
      this.#checkNoJobs();
      void proc.kill('its job could not start');
      throw new Error(`could not start job ${jobId}: ${errorMessage(error)}`, { cause: error });
    }
    slot.started = true;
    log().info({ jobId, jobPid: proc.pid }, 'job started');
    this.emit('job_started', { jobId });
  }

  /** Asks the job's process to end the job; kills it after `shutdownTimeoutMs`. */
  async shutdownJob(jobId: string, reason: string): Promise<void> {
    const slot = this.#jobs.get(jobId);
    if (!slot) return; // already over: the end raced the request
    await slot.proc.shutdown(reason);
  }

  /**
   * Stops starting processes, waits up to `timeoutMs` for running jobs to end
   * by themselves, then shuts down the rest. Jobs launched meanwhile count too.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    clearTimeout(this.#refillTimer);
    const spares = this.#takeSpares();
    const sparesClosed = Promise.all(spares.map((proc) => proc.shutdown('the worker is draining')));
    try {
      await withDeadline(this.#whenNoJobs(), timeoutMs, 'drain');
    } catch {
      log().warn(
        { jobs: [...this.#jobs.keys()], timeoutMs },
        'jobs still running at the drain deadline; shutting them down',
      );
      const reason = 'the worker is shutting down';
      await Promise.all([...this.#jobs.keys()].map((jobId) => this.shutdownJob(jobId, reason)));
    }
    await sparesClosed;
  }

  /** Shuts down every process, each within its deadline, and waits until all are reaped. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearTimeout(this.#refillTimer);
    this.#takeSpares();
    const reason = 'the worker is shutting down';
    await Promise.all([...this.#processes].map((proc) => proc.shutdown(reason)));
    if (this.#exitHooked) process.off('exit', this.#killAllOnExit);
  }

  #takeProcess(): SupervisedProcess {
    const idle = this.#idle.shift();
    if (idle) return idle;
    // The one that has been initializing longest is the likeliest to be ready first.
    const [warming] = this.#warming;
    if (warming) {
      this.#warming.delete(warming);
      return warming;
    }
    return this.#spawn();
  }

  /** Removes the idle and initializing processes from the pool and returns them. */
  #takeSpares(): SupervisedProcess[] {
    const spares = [...this.#idle, ...this.#warming];
    this.#idle = [];
    this.#warming.clear();
    return spares;
  }

  #spawn(): SupervisedProcess {
    if (!this.#exitHooked) {
      this.#exitHooked = true;
      process.on('exit', this.#killAllOnExit);
    }
    const { numIdleProcesses: _, ...processOptions } = this.#options;
    const proc = new SupervisedProcess({ ...processOptions, jobMainPath: this.#jobMainPath });
    this.#processes.add(proc);
    void proc.exited.then((exit) => this.#onExit(proc, exit));
    return proc;
  }

  /** Starts processes until `numIdleProcesses` are idle or initializing. */
  #refill(): void {
    if (!this.#started || this.#draining || this.#closing || this.#refillTimer) return;
    while (this.#idle.length + this.#warming.size < this.#options.numIdleProcesses) {
      const proc = this.#spawn();
      this.#warming.add(proc);
      proc.initialized.then(
        () => {
          this.#initFailures = 0;
          // Not in `#warming` any more means a job claimed it, or the pool is stopping.
          if (this.#warming.delete(proc)) this.#idle.push(proc);
        },
        (error: unknown) => {
          if (!this.#warming.delete(proc)) return; // the job that claimed it reports this
          this.#retryRefillAfterFailure(error);
        },
      );
    }
  }

  /**
   * An agent file that cannot load fails the same way every time; back off
   * instead of forking in a tight loop.
   */
  #retryRefillAfterFailure(error: unknown): void {
    this.#initFailures++;
    const delayMs = Math.round(
      retryDelay(this.#initFailures, error, {
        retryIntervalMs: INIT_RETRY_MS,
        maxIntervalMs: INIT_RETRY_MAX_MS,
      }),
    );
    log().error(
      { err: error, failures: this.#initFailures, retryInMs: delayMs },
      'job process failed to initialize',
    );
    clearTimeout(this.#refillTimer);
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = undefined;
      this.#refill();
    }, delayMs);
  }

  #onExit(proc: SupervisedProcess, exit: { status: 'success' | 'failed'; error?: string }): void {
    this.#processes.delete(proc);
    const wasIdle = this.#idle.includes(proc);
    this.#idle = this.#idle.filter((p) => p !== proc);
    this.#warming.delete(proc);
    const jobId = proc.job?.job.id;
    const slot = jobId === undefined ? undefined : this.#jobs.get(jobId);
    if (jobId !== undefined && slot?.proc === proc) {
      this.#jobs.delete(jobId);
      if (slot.started) {
        const { status, error } = exit;
        const fields = { jobId, jobPid: proc.pid, status, error };
        if (status === 'success') log().info(fields, 'job ended');
        else log().warn(fields, 'job failed');
        this.emit('job_exited', error === undefined ? { jobId, status } : { jobId, status, error });
      }
      this.#checkNoJobs();
    } else if (wasIdle) {
      log().warn({ jobPid: proc.pid, error: exit.error }, 'an idle job process exited');
    }
    this.#refill();
  }

  #whenNoJobs(): Promise<void> {
    if (this.#jobs.size === 0) return Promise.resolve();
    this.#noJobs ??= new Future<void>();
    return this.#noJobs.promise;
  }

  #checkNoJobs(): void {
    if (this.#jobs.size > 0 || !this.#noJobs) return;
    this.#noJobs.resolve();
    this.#noJobs = undefined;
  }
}

function checkOptions(options: ProcPoolOptions): void {
  const positive = [
    'initializeTimeoutMs',
    'shutdownTimeoutMs',
    'pingIntervalMs',
    'pingTimeoutMs',
    'memoryWarnMB',
    'memoryLimitMB',
  ] as const;
  for (const key of positive) {
    const value = options[key];
    if (value === undefined && (key === 'memoryWarnMB' || key === 'memoryLimitMB')) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TypeError(`process pool option ${key} must be a number > 0 (got ${String(value)})`);
    }
  }
  const { numIdleProcesses, memoryWarnMB, memoryLimitMB } = options;
  if (!Number.isInteger(numIdleProcesses) || numIdleProcesses < 0) {
    throw new TypeError(
      `process pool option numIdleProcesses must be a whole number >= 0 (got ${numIdleProcesses})`,
    );
  }
  if (memoryWarnMB !== undefined && memoryLimitMB !== undefined && memoryWarnMB >= memoryLimitMB) {
    throw new TypeError('process pool option memoryWarnMB must be below memoryLimitMB');
  }
}
