import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from 'pino';
import { log } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { Future } from '../utils/future.js';
import { JOB_PROCESS_ENV } from './agent.js';
import { type ChildMessage, isChildMessage, type ParentMessage } from './ipc.js';
import { type RunningJobInfo, toStartJobRequest } from './job-info.js';
import { childLineLogger, writeChildLog } from './log-forwarding.js';

/** Where the process's group is listed while it may be killed (the pool's `Reaper`). */
export interface GroupRegistry {
  add(pgid: number): void;
  remove(pgid: number): void;
}

/** After SIGKILL the kernel ends a process at once; longer than this means something is badly wrong. */
const REAP_TIMEOUT_MS = 5000;
/** How long after a child's exit its IPC channel may take to deliver what is left in it. */
const CHANNEL_CLOSE_TIMEOUT_MS = 1000;
/** A pong slower than this means the job's event loop was blocked long enough to be heard. */
const SLOW_PONG_MS = 500;

export interface SupervisedProcessOptions {
  /** The compiled job-main.js to fork. */
  jobMainPath: string;
  /** The agent file (`export default defineAgent(...)`); relative paths are from the cwd. */
  agentFile: string;
  /** Deadline for importing the agent file and running `prewarm`. */
  initializeTimeoutMs: number;
  /** Deadline for a process to exit once asked (or once its job ended); then it is killed. */
  shutdownTimeoutMs: number;
  pingIntervalMs: number;
  /** A process that has not answered a ping for this long is killed. */
  pingTimeoutMs: number;
  /**
   * Deadline for the child to acknowledge a job once it is initialized and
   * has been sent the job. The child answers as soon as its event loop turns,
   * so only a loop blocked by leftover prewarm work, or a machine busy with
   * other start-ups, makes this slow; a deadline as short as a ping timeout
   * of a test (1.5 s) killed healthy jobs under load. Default: the larger of
   * `pingTimeoutMs` and `initializeTimeoutMs`.
   */
  acknowledgeTimeoutMs?: number;
  /** Resident memory (MB) past which a process is logged once as a warning. */
  memoryWarnMB?: number;
  /** Resident memory (MB) past which a process is killed and its job failed. */
  memoryLimitMB?: number;
  /** The children's environment; default the worker's. */
  env?: NodeJS.ProcessEnv;
}

/** How a process ended, read as the outcome of its job (if it had one). */
export interface ProcessExit {
  status: 'success' | 'failed';
  error?: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The worker's handle on one job process: forks it, initializes it, hands it
 * one job, pings it, watches its memory, forwards its logs, and makes sure it
 * ends. Every wait has a deadline and the answer to a missed one is SIGKILL,
 * which a process cannot ignore. The pool decides *which* process runs what;
 * this class only keeps one process honest.
 */
export class SupervisedProcess {
  /** Resolves once the child has imported the agent file and run `prewarm`. */
  readonly initialized: Promise<void>;
  /** Resolves once the child has exited and been reaped. Never rejects. */
  readonly exited: Promise<ProcessExit>;
  /**
   * Resolves once the job's entry has been called and has run to its first
   * `await`. Never rejects: a process that ends first leaves it pending
   * (race it with `exited`).
   */
  readonly entryStarted: Promise<void>;
  /**
   * Called when the child's job has started ending and decided its outcome
   * (see `job_ending` in ipc.ts); the child leaves its room once it returns.
   */
  onJobEnding: ((end: { reason: string; error?: string }) => void) | undefined;

  readonly #options: SupervisedProcessOptions;
  readonly #child: ChildProcess;
  readonly #initialized = new Future<void>();
  readonly #exited = new Future<ProcessExit>();
  readonly #entryStarted = new Future<void>();
  #logger: Logger;
  /** `#logger` for the child's own lines; made on the first one, again once a job is bound. */
  #lineLogger: Logger | undefined;
  #job: RunningJobInfo | undefined;
  #jobStarted: Future<void> | undefined;
  #jobEnd: { reason: string; error?: string } | undefined;
  #killReason: string | undefined;
  #stopRequested = false;
  #lastPongAt = 0;
  #memoryWarned = false;
  #initTimer: ReturnType<typeof setTimeout> | undefined;
  #exitTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SupervisedProcessOptions, groups?: GroupRegistry) {
    this.#options = options;
    this.initialized = this.#initialized.promise;
    this.exited = this.#exited.promise;
    this.entryStarted = this.#entryStarted.promise;
    this.#child = fork(options.jobMainPath, [], {
      // Its own process group: whatever the job starts (ffmpeg, a model server)
      // can be killed with it, by group, however the job ends.
      detached: true,
      env: { ...(options.env ?? process.env), [JOB_PROCESS_ENV]: '1' },
      // The parent's loader flags (tsx's, when the worker runs a .ts agent file)
      // are what let the child import the same file.
      execArgv: childExecArgv(),
      // Structured clone: the job's protobuf bytes cross as a Uint8Array.
      serialization: 'advanced',
      // No stdin: a job must not read the worker's terminal. Output goes where the worker's goes.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pid = this.#child.pid;
    // Should the worker die before it reaps this group, the reaper kills it.
    if (pid !== undefined) groups?.add(pid);
    // Not `pid`: the worker's logger already writes its own pid under that key.
    this.#logger = log().child({ jobPid: pid });
    this.#child.on('message', (message) => this.#onMessage(message));
    // 'close' comes after 'exit' once the IPC channel has been read to its end:
    // the child's last messages (job_done, final log lines) may still be in
    // the pipe when it exits. The timer covers a channel some other process
    // keeps open.
    this.#child.on('exit', (code, signal) => {
      // The job is over: what it started goes too (a normal end included; a
      // helper left behind would run with nobody to answer for it).
      this.#killGroup();
      // Killed and its leader reaped: the pid is free for the kernel to hand out again.
      if (pid !== undefined) groups?.remove(pid);
      this.#closeTimer = setTimeout(() => this.#onExit(code, signal), CHANNEL_CLOSE_TIMEOUT_MS);
    });
    this.#child.on('close', (code, signal) => this.#onExit(code, signal));
    this.#child.on('error', (error) => {
      this.#logger.error({ err: error }, 'job process error');
      // A fork that failed (no pid) may never emit 'exit'.
      if (this.#child.pid === undefined) this.#onExit(null, null);
    });

    this.#logger.debug('job process started');
    this.#send({
      type: 'initialize',
      agentFile: options.agentFile,
      logLevel: log().level,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
    });
    this.#initTimer = setTimeout(
      () => void this.#kill(`did not initialize within ${options.initializeTimeoutMs} ms`),
      options.initializeTimeoutMs,
    );
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The job this process was given, if any. */
  get job(): RunningJobInfo | undefined {
    return this.#job;
  }

  get hasExited(): boolean {
    return this.#exited.done;
  }

  /**
   * `shutdown()` or `kill()` was called: an end before initialization is then
   * the caller's doing, not a failure of the agent file.
   */
  get stopRequested(): boolean {
    return this.#stopRequested;
  }

  /**
   * Gives the process its job once it is initialized; resolves when the child
   * acknowledges it. A child that does not acknowledge within
   * `acknowledgeTimeoutMs` is killed.
   */
  async startJob(info: RunningJobInfo): Promise<void> {
    if (this.#job) throw new Error(`this process already runs job ${this.#job.job.id}`);
    this.#job = info;
    this.#logger = this.#logger.child({ jobId: info.job.id });
    this.#lineLogger = undefined;
    await this.initialized;
    if (this.hasExited) throw new Error('job process exited before it got its job');
    this.#jobStarted = new Future<void>();
    this.#send(toStartJobRequest(info));
    const { acknowledgeTimeoutMs, pingTimeoutMs, initializeTimeoutMs } = this.#options;
    const timeoutMs = acknowledgeTimeoutMs ?? Math.max(pingTimeoutMs, initializeTimeoutMs);
    try {
      await withDeadline(
        this.#jobStarted.promise,
        timeoutMs,
        `did not acknowledge its job within ${timeoutMs} ms (acknowledgeTimeoutMs)`,
      );
    } catch (error) {
      void this.#kill(errorMessage(error));
      throw error;
    }
  }

  /**
   * Asks the process to end (its job, if any), kills it if it has not exited
   * within the shutdown timeout, and resolves once it is reaped.
   */
  async shutdown(reason: string): Promise<void> {
    this.#stopRequested = true;
    if (this.hasExited) return;
    this.#send({ type: 'shutdown', reason });
    const timeoutMs = this.#options.shutdownTimeoutMs;
    this.#expectExit(timeoutMs, `did not exit within ${timeoutMs} ms of the shutdown request`);
    await this.#join(timeoutMs + REAP_TIMEOUT_MS);
  }

  /**
   * SIGKILLs the process and its group (what the job started); `reason`
   * becomes its job's error. Resolves once it is reaped.
   */
  kill(reason: string): Promise<void> {
    this.#stopRequested = true;
    return this.#kill(reason);
  }

  /** For a `process.on('exit')` handler: synchronous, no logging, no waiting. */
  killNow(): void {
    if (!this.hasExited) this.#killGroup();
  }

  async #kill(reason: string): Promise<void> {
    if (this.hasExited) return;
    // Dead but not yet reported ('exit' came, 'close' not yet): killing it
    // now must not rewrite why it ended.
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
      await this.#join(CHANNEL_CLOSE_TIMEOUT_MS + REAP_TIMEOUT_MS);
      return;
    }
    this.#killReason ??= reason;
    this.#logger.warn({ reason }, 'killing job process');
    this.#killGroup();
    await this.#join(REAP_TIMEOUT_MS);
  }

  /** SIGKILL to the child's process group (it leads one: `detached`), the child included. */
  #killGroup(): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is empty; everything in it has already ended.
    }
  }

  async #join(timeoutMs: number): Promise<void> {
    try {
      await withDeadline(this.exited, timeoutMs, 'reap');
    } catch {
      this.#logger.error(`job process has not exited ${timeoutMs} ms after it was told to`);
    }
  }

  /** Arms a deadline for an exit that should come on its own; past it, kill. */
  #expectExit(timeoutMs: number, reason: string): void {
    if (this.#exitTimer) return;
    this.#exitTimer = setTimeout(() => void this.#kill(reason), timeoutMs);
  }

  #onMessage(message: unknown): void {
    if (!isChildMessage(message)) return;
    switch (message.type) {
      case 'initialized':
        clearTimeout(this.#initTimer);
        this.#startPinging();
        this.#initialized.resolve();
        this.#logger.debug('job process initialized');
        return;
      case 'initialize_failed': {
        clearTimeout(this.#initTimer);
        const error = new Error(`job process failed to initialize: ${message.error}`);
        // The child's stack says where in the agent file it failed; ours would not.
        if (message.stack) error.stack = `${error.message}\n${stackFrames(message.stack)}`;
        this.#initialized.reject(error);
        this.#expectExit(
          this.#options.shutdownTimeoutMs,
          'did not exit after failing to initialize',
        );
        return;
      }
      case 'job_started':
        this.#jobStarted?.resolve();
        return;
      case 'entry_started':
        this.#entryStarted.resolve();
        return;
      case 'job_ending':
        // Reported before the answer goes back: the child leaves its room once it has it.
        this.onJobEnding?.(
          message.error === undefined
            ? { reason: message.reason }
            : { reason: message.reason, error: message.error },
        );
        this.#send({ type: 'job_ending_reported' });
        return;
      case 'job_done':
        this.#jobEnd = { reason: message.reason, error: message.error };
        this.#expectExit(this.#options.shutdownTimeoutMs, 'did not exit after its job ended');
        return;
      case 'pong':
        this.#onPong(message);
        return;
      case 'log':
        this.#lineLogger ??= childLineLogger(this.#logger);
        writeChildLog(this.#lineLogger, message.line);
        return;
    }
  }

  #startPinging(): void {
    this.#lastPongAt = performance.now();
    const { pingIntervalMs, pingTimeoutMs } = this.#options;
    this.#pingTimer = setInterval(() => {
      const silentMs = performance.now() - this.#lastPongAt;
      if (silentMs > pingTimeoutMs) {
        void this.#kill(`unresponsive: no pong for ${Math.round(silentMs)} ms`);
        return;
      }
      this.#send({ type: 'ping', sentAt: performance.now() });
    }, pingIntervalMs);
  }

  #onPong(pong: Extract<ChildMessage, { type: 'pong' }>): void {
    const now = performance.now();
    this.#lastPongAt = now;
    const roundTripMs = now - pong.sentAt;
    // Trace: proof of life for tests and deep debugging; pino drops it cheaply otherwise.
    this.#logger.trace({ event: 'pong', roundTripMs: Math.round(roundTripMs) }, 'pong');
    if (roundTripMs > SLOW_PONG_MS) {
      this.#logger.warn({ roundTripMs: Math.round(roundTripMs) }, 'job process is slow to answer');
    }
    const rssMB = Math.round(pong.rssBytes / (1024 * 1024));
    const { memoryWarnMB, memoryLimitMB } = this.#options;
    if (memoryLimitMB !== undefined && rssMB > memoryLimitMB) {
      void this.#kill(`memory limit exceeded: ${rssMB} MB > ${memoryLimitMB} MB`);
    } else if (memoryWarnMB !== undefined && rssMB > memoryWarnMB && !this.#memoryWarned) {
      // Once per process: a job that stays high would otherwise warn every ping.
      this.#memoryWarned = true;
      this.#logger.warn({ rssMB, memoryWarnMB, memoryLimitMB }, 'job process memory is high');
    }
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited.done) return;
    clearTimeout(this.#initTimer);
    clearTimeout(this.#exitTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#closeTimer);
    const exit = this.#outcome(code, signal);
    const why = exit.error ?? 'exited';
    this.#initialized.reject(new Error(`job process ended before it was ready: ${why}`));
    this.#jobStarted?.reject(new Error(`job process ended before it acknowledged its job: ${why}`));
    this.#logger.debug({ code, signal }, 'job process exited');
    this.#exited.resolve(exit);
  }

  #outcome(code: number | null, signal: NodeJS.Signals | null): ProcessExit {
    // The child's own report wins: a job that finished and was then slow to
    // exit still finished.
    if (this.#jobEnd) {
      const { error } = this.#jobEnd;
      return error === undefined
        ? { status: 'success', code, signal }
        : { status: 'failed', error, code, signal };
    }
    const error = this.#killReason
      ? `job process killed: ${this.#killReason}`
      : `job process exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`;
    return { status: 'failed', error, code, signal };
  }

  #send(message: ParentMessage): void {
    if (!this.#child.connected) return;
    // An error here means the child is gone; its 'exit' event reports that.
    this.#child.send(message, (error) => {
      if (!error) return;
      this.#logger.debug({ err: error, type: message.type }, 'could not reach job process');
    });
  }
}

/** The `at …` lines of a stack, without its first line (the message, which we restate). */
function stackFrames(stack: string): string {
  const lines = stack.split('\n');
  const first = lines.findIndex((line) => /^\s+at /.test(line));
  return first < 0 ? '' : lines.slice(first).join('\n');
}

/**
 * The worker's Node flags minus the inspector's: every child would try to
 * bind the same debugger port and fail to start.
 */
function childExecArgv(): string[] {
  return process.execArgv.filter((flag) => !/^--inspect(-brk|-port)?(=|$)/.test(flag));
}
