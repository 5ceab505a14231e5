import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from '../log.js';
import { Backoff } from '../utils/backoff.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import { Future } from '../utils/future.js';
import type { RunningJobInfo } from './job-info.js';
import { JobLaunchError } from './job-launch-error.js';
import {
  checkOptions,
  DEFAULT_PROC_POOL_OPTIONS,
  type ProcPoolOptions,
} from './proc-pool-options.js';
import { Reaper } from './reaper.js';
import { StartupSlots } from './startup-slots.js';
import { SupervisedProcess, type SupervisedProcessOptions } from './supervised-process.js';

export { DEFAULT_PROC_POOL_OPTIONS, type ProcPoolOptions } from './proc-pool-options.js';

export interface ProcPoolEvents {
  /** The child acknowledged the job; its entry is starting. */
  job_started: { jobId: string };
  /**
   * The job has started ending and decided how; it leaves its room after this. Its process
   * still runs (the slot is not free). At most once per `job_started`, before
   * `job_exited`, which then carries the same outcome unless the teardown failed.
   */
  job_ending: { jobId: string; status: 'success' | 'failed'; error?: string };
  /** The job's process has exited and been reaped: its slot is free. Once per `job_started`. */
  job_exited: { jobId: string; status: 'success' | 'failed'; error?: string };
  /** A process has initialized and waits, idle, for a job. */
  process_ready: { pid: number };
  /** A process could not initialize (agent file import or `prewarm` failed, or too slow). */
  init_failed: { error: string; consecutiveFailures: number };
}

interface JobSlot {
  info: RunningJobInfo;
  /** Unset while the launch waits for a start-up slot. */
  proc?: SupervisedProcess;
  /** `job_started` was emitted, so `job_exited` is owed. */
  started: boolean;
  /** Ends a launch still waiting for a start-up slot. */
  cancel: AbortController;
}

/**
 * After an initialization failure, the idle pool waits before the next try:
 * an agent file that cannot load fails the same way every time. `stableAfterMs`
 * is never reached (we never call `connected()`), so every failure counts
 * until a success resets the run.
 */
const INIT_BACKOFF = {
  maxRetry: Number.MAX_SAFE_INTEGER,
  retryIntervalMs: 500,
  maxIntervalMs: 30_000,
  stableAfterMs: Number.MAX_SAFE_INTEGER,
};

/**
 * Past this, a ready process's replacement is forked even though its job's
 * entry has not reported starting (it blocks its event loop, say).
 */
const ENTRY_START_REFILL_MS = 2_000;

/**
 * One child process per job, taken from a warm pool of processes that have
 * already imported the agent file and run `prewarm`. A process runs one job
 * and exits; the pool keeps `numIdleProcesses` ready by starting new ones, at
 * most `maxConcurrentInits` at a time (jobs first; see StartupSlots).
 */
export class ProcPool extends TypedEventEmitter<ProcPoolEvents> {
  readonly #numIdleProcesses: number;
  /** What every process is forked with. */
  readonly #processOptions: SupervisedProcessOptions;
  readonly #slots: StartupSlots;
  readonly #initBackoff = new Backoff(INIT_BACKOFF);
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
  /** Some process has initialized: the agent file loads. */
  #verified = false;
  #initFailing = false;
  /** The last initialization error logged with its stack; repeats are logged short. */
  #lastInitError: string | undefined;
  #refillTimer: ReturnType<typeof setTimeout> | undefined;
  #noJobs: Future<void> | undefined;
  #exitHooked = false;
  /** Started with the first process; kills what is left should the worker die abruptly. */
  #reaper: Reaper | undefined;
  // Children end on their own when the worker's IPC channel closes (and the
  // reaper kills them if their loop is stuck), but on any exit of the worker
  // that still runs JavaScript (process.exit, an uncaught error) kill them,
  // and what they started, outright.
  readonly #killAllOnExit = () => {
    for (const proc of this.#processes) proc.killNow();
  };

  constructor(options: ProcPoolOptions) {
    super();
    checkOptions(options);
    const defaults = DEFAULT_PROC_POOL_OPTIONS;
    const {
      numIdleProcesses,
      maxConcurrentInits = defaults.maxConcurrentInits,
      launchQueueTimeoutMs = defaults.launchQueueTimeoutMs,
      maxQueuedLaunches = defaults.maxQueuedLaunches,
      ...processOptions
    } = options;
    const agentFile = resolve(options.agentFile);
    if (!existsSync(agentFile)) throw new Error(`agent file not found: ${agentFile}`);
    const jobMainPath = fileURLToPath(new URL('./job-main.js', import.meta.url));
    if (!existsSync(jobMainPath)) {
      // Only when running from source: job-main.ts must be compiled to be forked.
      throw new Error(`${jobMainPath} not found; build @agents/core first`);
    }
    this.#numIdleProcesses = numIdleProcesses;
    this.#processOptions = { ...processOptions, agentFile, jobMainPath };
    this.#slots = new StartupSlots({
      maxConcurrentInits,
      launchQueueTimeoutMs,
      maxQueuedLaunches,
      onFree: () => this.#refill(),
    });
  }

  /**
   * Starts filling the idle pool and returns at once: a worker registers
   * while its processes warm. Even with `numIdleProcesses` 0 one process
   * starts, so an agent file that cannot load shows now (`init_failed`,
   * `initFailing`) rather than at the first job; that process then serves
   * the first job.
   */
  async start(): Promise<void> {
    if (this.#closing) throw new Error('the process pool is closed');
    if (this.#started) return;
    this.#started = true;
    this.#refill();
  }

  /** Jobs launched and not yet exited, including those still starting. */
  get activeJobs(): RunningJobInfo[] {
    return [...this.#jobs.values()].map((slot) => slot.info);
  }

  /** Launches waiting for a start-up slot or for their process, not yet acknowledged. */
  get startingCount(): number {
    let starting = 0;
    for (const slot of this.#jobs.values()) if (!slot.started) starting++;
    return starting;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** The last process initialization failed, and none has succeeded since. */
  get initFailing(): boolean {
    return this.#initFailing;
  }

  /**
   * Runs a job in an idle process (or, when none is ready, the spare closest
   * to ready, or a new one once a start-up slot is free) and resolves once
   * the child has acknowledged it. Rejects with a `JobLaunchError` (see its
   * `reason`); no `job_started` / `job_exited` is emitted for such a job.
   */
  async launchJob(info: RunningJobInfo): Promise<void> {
    const jobId = info.job.id;
    if (this.#closing) throw new JobLaunchError('closed', jobId, 'the process pool is closed');
    if (this.#jobs.has(jobId)) {
      throw new JobLaunchError('duplicate', jobId, 'a job with this id is already running');
    }
    const slot: JobSlot = { info, started: false, cancel: new AbortController() };
    this.#jobs.set(jobId, slot);
    // A ready process's replacement is forked once the job's entry has started
    // (or the process has ended, or ENTRY_START_REFILL_MS has passed): the fork
    // (several milliseconds of this thread) and the new process's imports would
    // take the CPU the job's start needs (bench/suites/dispatch.ts). A process
    // still initializing may take seconds, so it is replaced at once, once its
    // start message is on its way.
    const ready = this.#idle.length > 0;
    let refilled = false;
    const refill = () => {
      if (refilled) return;
      refilled = true;
      setImmediate(() => this.#refill());
    };
    try {
      const proc = this.#takeSpare() ?? (await this.#spawnForJob(jobId, slot.cancel.signal));
      slot.proc = proc;
      proc.onJobEnding = ({ error }) => {
        if (!slot.started) return;
        this.emit(
          'job_ending',
          error === undefined ? { jobId, status: 'success' } : { jobId, status: 'failed', error },
        );
      };
      const started = this.#startIn(proc, info);
      if (ready) this.#refillOnEntryStart(proc, refill);
      else refill();
      await started;
    } catch (error) {
      refill();
      if (this.#jobs.get(jobId) === slot) this.#jobs.delete(jobId);
      this.#checkNoJobs();
      if (slot.proc) void slot.proc.kill('its job could not start');
      if (this.#closing && !(error instanceof JobLaunchError && error.reason === 'cancelled')) {
        throw new JobLaunchError('closed', jobId, 'the process pool closed while the job started');
      }
      throw error;
    }
    slot.started = true;
    log().info({ jobId, jobPid: slot.proc.pid }, 'job started');
    this.emit('job_started', { jobId });
  }

  /**
   * Asks the job's process to end the job; kills it after `shutdownTimeoutMs`.
   * A launch still waiting for a start-up slot is cancelled (it rejects with
   * reason `cancelled`).
   */
  async shutdownJob(jobId: string, reason: string): Promise<void> {
    const slot = this.#jobs.get(jobId);
    if (!slot) return; // already over: the end raced the request
    if (!slot.proc) {
      const detail = `it was shut down while waiting for a process (${reason})`;
      slot.cancel.abort(new JobLaunchError('cancelled', jobId, detail));
      return;
    }
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
    for (const [jobId, slot] of this.#jobs) {
      if (!slot.proc)
        slot.cancel.abort(new JobLaunchError('closed', jobId, 'the process pool closed'));
    }
    const reason = 'the worker is shutting down';
    await Promise.all([...this.#processes].map((proc) => proc.shutdown(reason)));
    await this.#reaper?.close();
    if (this.#exitHooked) process.off('exit', this.#killAllOnExit);
  }

  /**
   * Calls `refill` once `proc`'s entry has started or the process has ended,
   * and at the latest ENTRY_START_REFILL_MS after now: an entry that blocks
   * its event loop from its first line must not leave the pool a process short.
   */
  #refillOnEntryStart(proc: SupervisedProcess, refill: () => void): void {
    const timer = setTimeout(refill, ENTRY_START_REFILL_MS);
    void Promise.race([proc.entryStarted, proc.exited]).then(() => {
      clearTimeout(timer);
      refill();
    });
  }

  /** Waits for `proc` to initialize, then hands it the job; failures become typed launch errors. */
  async #startIn(proc: SupervisedProcess, info: RunningJobInfo): Promise<void> {
    const jobId = info.job.id;
    try {
      await proc.initialized;
    } catch (error) {
      throw new JobLaunchError('init_failed', jobId, errorMessage(error));
    }
    try {
      await proc.startJob(info);
    } catch (error) {
      throw new JobLaunchError('not_acknowledged', jobId, errorMessage(error));
    }
  }

  /** A new process for a job, once a start-up slot is free (its initialize clock starts then). */
  async #spawnForJob(jobId: string, signal: AbortSignal): Promise<SupervisedProcess> {
    await this.#slots.acquire(jobId, signal);
    // Cancelled or closed between the grant and now: the slot goes on to the next in line.
    if (signal.aborted || this.#closing) {
      this.#slots.release();
      if (signal.aborted) throw signal.reason;
      throw new JobLaunchError('closed', jobId, 'the process pool closed');
    }
    return this.#spawn();
  }

  #takeSpare(): SupervisedProcess | undefined {
    const idle = this.#idle.shift();
    if (idle) return idle;
    // The one that has been initializing longest is the likeliest to be ready first.
    const [warming] = this.#warming;
    if (warming) this.#warming.delete(warming);
    return warming;
  }

  /** Removes the idle and initializing processes from the pool and returns them. */
  #takeSpares(): SupervisedProcess[] {
    const spares = [...this.#idle, ...this.#warming];
    this.#idle = [];
    this.#warming.clear();
    return spares;
  }

  /** Forks a process; the caller holds a start-up slot, which is released when it has initialized or failed to. */
  #spawn(): SupervisedProcess {
    if (!this.#exitHooked) {
      this.#exitHooked = true;
      process.on('exit', this.#killAllOnExit);
      this.#reaper = Reaper.create();
    }
    const proc = new SupervisedProcess(this.#processOptions, this.#reaper);
    this.#processes.add(proc);
    proc.initialized.then(
      () => this.#onInitialized(proc),
      (error: unknown) => this.#onInitFailed(proc, error),
    );
    void proc.exited.then((exit) => this.#onExit(proc, exit));
    return proc;
  }

  #onInitialized(proc: SupervisedProcess): void {
    this.#verified = true;
    this.#initBackoff.reset();
    if (this.#initFailing) {
      this.#initFailing = false;
      this.#lastInitError = undefined;
      log().info('job processes initialize again');
    }
    // Not in `#warming` any more means a job claimed it, or the pool is stopping.
    if (this.#warming.delete(proc)) {
      this.#idle.push(proc);
      if (proc.pid !== undefined) this.emit('process_ready', { pid: proc.pid });
    }
    this.#slots.release();
  }

  /**
   * Counts the failure, logs it (the stack once per distinct error; repeats
   * as one short line with the count), and backs off refilling: an agent
   * file that cannot load fails the same way every time.
   */
  #onInitFailed(proc: SupervisedProcess, error: unknown): void {
    this.#warming.delete(proc);
    if (proc.stopRequested || this.#closing || this.#draining) {
      this.#slots.release();
      return; // stopped on purpose, not a failure of the agent file
    }
    const retryInMs = Math.round(this.#initBackoff.failed(error) ?? INIT_BACKOFF.maxIntervalMs);
    const consecutiveFailures = this.#initBackoff.failures;
    this.#initFailing = true;
    const message = errorMessage(error);
    if (message !== this.#lastInitError) {
      this.#lastInitError = message;
      log().error(
        { err: error, event: 'init_failed', consecutiveFailures, retryInMs },
        'job process failed to initialize',
      );
    } else {
      log().warn(
        { error: message, event: 'init_failed', consecutiveFailures, retryInMs },
        'job processes still fail to initialize',
      );
    }
    this.emit('init_failed', { error: message, consecutiveFailures });
    clearTimeout(this.#refillTimer);
    this.#refillTimer = setTimeout(() => {
      this.#refillTimer = undefined;
      this.#refill();
    }, retryInMs);
    this.#slots.release();
  }

  /** Starts processes (as start-up slots allow) until `numIdleProcesses` are idle or initializing. */
  #refill(): void {
    if (!this.#started || this.#draining || this.#closing || this.#refillTimer) return;
    while (this.#wantsSpare() && this.#slots.tryAcquire()) this.#warming.add(this.#spawn());
  }

  #wantsSpare(): boolean {
    const spares = this.#idle.length + this.#warming.size;
    if (spares < this.#numIdleProcesses) return true;
    // Until one process has initialized, keep one starting even with
    // numIdleProcesses 0 (dev): a broken agent file shows at start-up.
    return !this.#verified && spares === 0 && this.#slots.inUse === 0;
  }

  #onExit(proc: SupervisedProcess, exit: { status: 'success' | 'failed'; error?: string }): void {
    this.#processes.delete(proc);
    const wasIdle = this.#idle.includes(proc);
    this.#idle = this.#idle.filter((p) => p !== proc);
    this.#warming.delete(proc);
    const slot = [...this.#jobs.values()].find((s) => s.proc === proc);
    if (slot?.started) {
      const jobId = slot.info.job.id;
      this.#jobs.delete(jobId);
      const { status, error } = exit;
      const fields = { jobId, jobPid: proc.pid, status, error };
      if (status === 'success') log().info(fields, 'job ended');
      else log().warn(fields, 'job failed');
      this.emit('job_exited', error === undefined ? { jobId, status } : { jobId, status, error });
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
