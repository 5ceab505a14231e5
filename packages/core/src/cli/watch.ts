import { type ChildProcess, fork } from 'node:child_process';
import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import { Job } from '@livekit/protocol';
import type { RunningJobInfo } from '../job/index.js';
import { type Logger, log } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { Future } from '../utils/future.js';
import {
  describeExit,
  type ExitStatus,
  exitCodeOf,
  signalExitCode,
  stopChildProcess,
  waitForExit,
} from '../utils/process.js';
import type { Worker } from '../worker/worker.js';

/** Set in the worker process that a `dev` supervisor starts and restarts. */
const DEV_CHILD_ENV = 'AGENTS_DEV_WORKER';
/** Changes closer together than this cause one restart. */
const DEBOUNCE_MS = 300;
/** How long the old worker may take to report its jobs. */
const HANDOFF_TIMEOUT_MS = 2000;
/** How long a worker may take to close (its jobs end first) before it is killed. */
const EXIT_TIMEOUT_MS = 10_000;
/** After a second signal: the worker terminates within about 1.5 s, then it is killed. */
const TERMINATE_EXIT_TIMEOUT_MS = 3000;
/** A worker whose supervisor is gone closes within this, or exits anyway. */
const ORPHAN_CLOSE_TIMEOUT_MS = 10_000;

/** Folders whose changes are not the agent's code: installs, builds, VCS, anything hidden. */
const IGNORED_FOLDERS = new Set(['node_modules', 'dist', '.git']);
const SOURCE_FILE = /\.(m|c)?(j|t)sx?$/;
/** Only these JSON files are configuration; others may be data the agent writes as it runs. */
const CONFIG_FILE = /^(package|tsconfig.*)\.json$/;

/** Whether a change to `path` (relative to the watched folder) should restart the worker. */
export function isWatchedFile(path: string): boolean {
  const parts = path.split(/[\\/]/);
  const name = parts.pop() ?? '';
  if (parts.some((part) => part.startsWith('.') || IGNORED_FOLDERS.has(part))) return false;
  // Hidden files include editors' lock and swap files (emacs's `.#agent.ts`).
  if (name.startsWith('.')) return false;
  return SOURCE_FILE.test(name) || CONFIG_FILE.test(name);
}

/** A running job as it crosses from the old worker to the new one. */
interface SavedJob {
  job: string; // base64 of the Job protobuf
  acceptArguments: RunningJobInfo['acceptArguments'];
}

type DevMessage =
  | { type: 'active_jobs_request' }
  | { type: 'active_jobs'; jobs: SavedJob[] }
  | { type: 'reload_request' }
  | { type: 'reload_jobs'; jobs: SavedJob[] };

const DEV_MESSAGE_TYPES = new Set([
  'active_jobs_request',
  'active_jobs',
  'reload_request',
  'reload_jobs',
]);

function isDevMessage(value: unknown): value is DevMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { type, jobs } = value as { type?: unknown; jobs?: unknown };
  if (typeof type !== 'string' || !DEV_MESSAGE_TYPES.has(type)) return false;
  return !type.endsWith('jobs') || Array.isArray(jobs);
}

/** One worker process and what the supervisor knows about it. */
interface WorkerChild {
  process: ChildProcess;
  exited: Promise<ExitStatus>;
  /** Jobs handed over to it that it has not asked for yet (it is still starting). */
  unsentJobs: SavedJob[];
  /** Set once it has asked for its jobs: it then answers the supervisor's requests. */
  listening: boolean;
  /** Set once the supervisor stops it, so its exit is not reported as a failure. */
  stopping: boolean;
}

/**
 * `dev` mode. In the process the user started, supervise: run the worker in a
 * child process, and on a change to the agent's files ask it for its running
 * jobs, stop it, start a new one and hand the jobs over, so they rejoin their
 * rooms with the new code (under the same identity). Resolves, once a signal
 * has stopped the worker, with the exit code to leave with (the worker's);
 * resolves undefined in the worker child, which should serve.
 */
export async function watchAndRestart(
  options: { agent?: string },
  argv: readonly string[],
): Promise<number | undefined> {
  if (process.env[DEV_CHILD_ENV]) return undefined;
  if (!options.agent) throw new Error('dev needs the agent file: cli.runApp({ agent: ... })');
  const supervisor = new DevSupervisor(argv, log().child({ supervisor: true }));
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(options.agent), { recursive: true }, (_event, file) => {
    if (!file || !isWatchedFile(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => supervisor.fileChanged(), DEBOUNCE_MS);
  });
  const signalled = new Future<NodeJS.Signals>();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) signalled.resolve(signal);
    else void supervisor.terminate(signal).then((code) => process.exit(code));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const signal = await signalled.promise;
    clearTimeout(timer);
    watcher.close();
    return await supervisor.stop(signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Owns the worker child. Restarts are serialized: while one runs, further
 * changes only set `#changedAgain`, which causes exactly one more restart
 * after it; so there is never more than one worker being started.
 */
class DevSupervisor {
  readonly #argv: readonly string[];
  readonly #logger: Logger;
  /** Only assigned by `#restart` (serialized) and cleared when that child exits. */
  #current: WorkerChild | undefined;
  readonly #alive = new Set<WorkerChild>();
  #restarting: Promise<void> | undefined;
  #changedAgain = false;
  #stopping = false;
  #lastExit: ExitStatus | undefined;

  constructor(argv: readonly string[], logger: Logger) {
    this.#argv = argv;
    this.#logger = logger;
    this.#current = this.#startWorker([]);
  }

  fileChanged(): void {
    if (this.#stopping) return;
    if (this.#restarting) {
      this.#changedAgain = true;
      return;
    }
    this.#restarting = this.#restartWhileChanged().finally(() => {
      this.#restarting = undefined;
    });
  }

  /** First signal: stop the worker (its jobs end), and leave with its exit code. */
  async stop(signal: NodeJS.Signals): Promise<number> {
    this.#stopping = true;
    await this.#restarting;
    const child = this.#current;
    if (child) await this.#stopWorker(child, signal, EXIT_TIMEOUT_MS);
    return this.#lastExit ? exitCodeOf(this.#lastExit) : 0;
  }

  /** Second signal: pass it on (the worker then exits at once), and leave with its code. */
  async terminate(signal: NodeJS.Signals): Promise<number> {
    this.#stopping = true;
    this.#logger.warn({ signal }, 'second signal: stopping the worker now');
    const children = [...this.#alive];
    await Promise.all(
      children.map((child) => this.#stopWorker(child, signal, TERMINATE_EXIT_TIMEOUT_MS)),
    );
    return this.#lastExit ? exitCodeOf(this.#lastExit) : signalExitCode(signal);
  }

  async #restartWhileChanged(): Promise<void> {
    do {
      this.#changedAgain = false;
      try {
        await this.#restart();
      } catch (error) {
        this.#logger.error({ err: errorMessage(error) }, 'restart failed');
      }
    } while (this.#changedAgain && !this.#stopping);
  }

  async #restart(): Promise<void> {
    this.#logger.info('files changed: restarting the worker');
    const old = this.#current;
    this.#current = undefined;
    let jobs: SavedJob[] = [];
    if (old) {
      // A worker still starting has not taken its jobs yet: they move on to the next one.
      jobs = old.unsentJobs;
      old.unsentJobs = [];
      if (old.listening) jobs = [...jobs, ...(await askActiveJobs(old))];
      await this.#stopWorker(old, 'SIGTERM', EXIT_TIMEOUT_MS);
    }
    if (!this.#stopping) this.#current = this.#startWorker(jobs);
  }

  #startWorker(handedOver: SavedJob[]): WorkerChild {
    const proc = fork(this.#argv[1]!, [...this.#argv.slice(2)], {
      env: { ...process.env, [DEV_CHILD_ENV]: '1' },
      stdio: 'inherit',
      // Its own process group: Ctrl-C reaches the supervisor only, which
      // passes it on once (the worker would read a second copy as "exit now").
      detached: true,
    });
    const child: WorkerChild = {
      process: proc,
      exited: waitForExit(proc),
      unsentJobs: handedOver,
      listening: false,
      stopping: false,
    };
    this.#alive.add(child);
    proc.on('error', (error) => {
      this.#logger.error({ err: errorMessage(error) }, 'could not start the worker process');
    });
    proc.on('message', (message: unknown) => {
      if (isDevMessage(message) && message.type === 'reload_request') {
        child.listening = true;
        proc.send({ type: 'reload_jobs', jobs: child.unsentJobs } satisfies DevMessage);
        child.unsentJobs = [];
      }
    });
    void child.exited.then((status) => {
      this.#alive.delete(child);
      this.#lastExit = status;
      if (this.#current === child) this.#current = undefined;
      if (child.stopping || this.#stopping) return;
      this.#logger.warn(
        `the worker exited (${describeExit(status)}); waiting for a file change to start it again`,
      );
    });
    return child;
  }

  async #stopWorker(child: WorkerChild, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    child.stopping = true;
    try {
      await stopChildProcess(child.process, { signal, timeoutMs });
      // Let the exit handler above record the status before the caller reads it.
      await child.exited;
    } catch (error) {
      // It survived SIGKILL: its exit may never come, so do not wait for it.
      this.#logger.error({ err: errorMessage(error), pid: child.process.pid }, 'worker not reaped');
    }
  }
}

async function askActiveJobs(child: WorkerChild): Promise<SavedJob[]> {
  const worker = child.process;
  if (!worker.connected) return [];
  const answer = new Future<SavedJob[]>();
  const onMessage = (message: unknown) => {
    if (isDevMessage(message) && message.type === 'active_jobs') answer.resolve(message.jobs);
  };
  worker.on('message', onMessage);
  try {
    worker.send({ type: 'active_jobs_request' } satisfies DevMessage);
    const exited = child.exited.then(() => []);
    return await withDeadline(
      Promise.race([answer.promise, exited]),
      HANDOFF_TIMEOUT_MS,
      'no answer about running jobs',
    );
  } catch {
    return [];
  } finally {
    worker.off('message', onMessage);
  }
}

/**
 * In the worker child of `dev`: answer the supervisor's requests for the
 * running jobs, restart the jobs the previous worker handed over, and close
 * when the supervisor is gone (killed, crashed), so no worker is left behind.
 */
export function attachDevHandoff(worker: Worker): void {
  if (!process.env[DEV_CHILD_ENV] || !process.send) return;
  // Handed over but not running yet: still ours to hand on if we are replaced meanwhile.
  const reloading = new Map<string, SavedJob>();
  const onMessage = (message: unknown) => {
    if (!isDevMessage(message)) return;
    if (message.type === 'active_jobs_request') {
      const jobs = new Map(reloading);
      for (const info of worker.activeJobs) {
        jobs.set(info.job.id, {
          job: Buffer.from(info.job.toBinary()).toString('base64'),
          acceptArguments: info.acceptArguments,
        });
      }
      process.send?.({ type: 'active_jobs', jobs: [...jobs.values()] } satisfies DevMessage);
    } else if (message.type === 'reload_jobs' && message.jobs.length > 0) {
      const jobs = message.jobs.map((saved) => {
        const job = Job.fromBinary(Buffer.from(saved.job, 'base64'));
        reloading.set(job.id, saved);
        return { job, acceptArguments: saved.acceptArguments };
      });
      worker
        .reloadJobs(jobs)
        .catch((error: unknown) => {
          log().error({ err: error }, 'could not restart the jobs of the previous worker');
        })
        .finally(() => reloading.clear());
    }
  };
  process.on('message', onMessage);
  process.once('disconnect', () => {
    log().warn('the dev supervisor is gone: closing the worker');
    withDeadline(worker.close(), ORPHAN_CLOSE_TIMEOUT_MS, 'the worker did not close')
      .then(() => {
        // Normally the process ends on its own now; this only guards against a leftover handle.
        setTimeout(() => process.exit(0), 1000).unref();
      })
      .catch((error: unknown) => {
        log().error({ err: errorMessage(error) }, 'exiting anyway');
        process.exit(1);
      });
  });
  process.send({ type: 'reload_request' } satisfies DevMessage);
  // The IPC channel must not keep the worker alive once it has closed.
  process.channel?.unref();
}
