import { type ChildProcess, fork } from 'node:child_process';
import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import { Job } from '@livekit/protocol';
import type { RunningJobInfo } from '../job/index.js';
import { log } from '../log.js';
import { withDeadline } from '../utils/deadline.js';
import { Future } from '../utils/future.js';
import type { Worker } from '../worker/worker.js';

/** Set in the worker process that a `dev` supervisor starts and restarts. */
const DEV_CHILD_ENV = 'AGENTS_DEV_WORKER';
/** Changes closer together than this cause one restart. */
const DEBOUNCE_MS = 300;
/** How long the old worker may take to report its jobs, and to exit. */
const HANDOFF_TIMEOUT_MS = 2000;
const EXIT_TIMEOUT_MS = 10_000;
const WATCHED = /\.(m|c)?(j|t)sx?$|\.json$/;

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

/**
 * `dev` mode. In the process the user started, supervise: run the worker in a
 * child process, and on a change to the agent's files ask it for its running
 * jobs, stop it, start a new one and hand the jobs over, so they rejoin their
 * rooms with the new code (under the same identity). Returns true when it
 * supervised (until a signal), false in the worker child, which should serve.
 */
export async function watchAndRestart(
  options: { agent?: string },
  argv: readonly string[],
): Promise<boolean> {
  if (process.env[DEV_CHILD_ENV]) return false;
  if (!options.agent) throw new Error('dev needs the agent file: cli.runApp({ agent: ... })');
  const logger = log().child({ supervisor: true });
  let saved: SavedJob[] = [];
  let child = startChild();
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Future<void>();

  function startChild(): ChildProcess {
    const worker = fork(argv[1]!, [...argv.slice(2)], {
      env: { ...process.env, [DEV_CHILD_ENV]: '1' },
      stdio: 'inherit',
    });
    worker.on('message', (message: DevMessage) => {
      if (message.type === 'reload_request') {
        worker.send({ type: 'reload_jobs', jobs: saved } satisfies DevMessage);
        saved = [];
      }
    });
    return worker;
  }

  async function restart(): Promise<void> {
    logger.info('files changed: restarting the worker');
    saved = await askActiveJobs(child);
    await stopChild(child);
    child = startChild();
  }

  const watcher: FSWatcher = watch(dirname(options.agent), { recursive: true }, (_event, file) => {
    if (!file || file.includes('node_modules') || !WATCHED.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      restart().catch((error: unknown) => logger.error({ err: error }, 'restart failed'));
    }, DEBOUNCE_MS);
  });
  const onSignal = () => stopped.resolve();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await stopped.promise;
  clearTimeout(timer);
  watcher.close();
  await stopChild(child);
  return true;
}

async function askActiveJobs(child: ChildProcess): Promise<SavedJob[]> {
  if (!child.connected) return [];
  const answer = new Future<SavedJob[]>();
  const onMessage = (message: DevMessage) => {
    if (message.type === 'active_jobs') answer.resolve(message.jobs);
  };
  child.on('message', onMessage);
  child.send({ type: 'active_jobs_request' } satisfies DevMessage);
  try {
    return await withDeadline(answer.promise, HANDOFF_TIMEOUT_MS, 'no answer about running jobs');
  } catch {
    return [];
  } finally {
    child.off('message', onMessage);
  }
}

/** SIGTERM, then SIGKILL after the deadline; resolves once the child has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  try {
    await withDeadline(exited, EXIT_TIMEOUT_MS, 'the worker did not exit');
  } catch {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * In the worker child of `dev`: answer the supervisor's requests for the
 * running jobs, and restart the jobs the previous worker handed over.
 */
export function attachDevHandoff(worker: Worker): void {
  if (!process.env[DEV_CHILD_ENV] || !process.send) return;
  const onMessage = (message: DevMessage) => {
    if (message.type === 'active_jobs_request') {
      const jobs = worker.activeJobs.map((info) => ({
        job: Buffer.from(info.job.toBinary()).toString('base64'),
        acceptArguments: info.acceptArguments,
      }));
      process.send?.({ type: 'active_jobs', jobs } satisfies DevMessage);
    } else if (message.type === 'reload_jobs' && message.jobs.length > 0) {
      const jobs = message.jobs.map((saved) => ({
        job: Job.fromBinary(Buffer.from(saved.job, 'base64')),
        acceptArguments: saved.acceptArguments,
      }));
      worker.reloadJobs(jobs).catch((error: unknown) => {
        log().error({ err: error }, 'could not restart the jobs of the previous worker');
      });
    }
  };
  process.on('message', onMessage);
  process.send({ type: 'reload_request' } satisfies DevMessage);
  // The IPC channel must not keep the worker alive once it has closed.
  process.channel?.unref();
}
