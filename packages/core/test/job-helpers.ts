/**
 * Shared by the job-*.test.ts files, which run real child processes.
 *
 * The pool forks the compiled dist/job/job-main.js, and the fixture agents
 * import dist too, so the tests drive the build: parent and child then share
 * one copy of the code (one logger, one registry). Build first (`pnpm build`;
 * `pnpm test` from the root does). Types come from src, so `tsc` on the tests
 * needs no build; values come from dist through a computed specifier.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Job } from '@livekit/protocol';
import type * as JobModule from '../src/job/index.js';
import type {
  ProcPool,
  ProcPoolEvents,
  ProcPoolOptions,
  RunningJobInfo,
} from '../src/job/index.js';
import type * as LogModule from '../src/log.js';

const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url);

/** Fails with a clear message instead of testing a missing or stale build. */
function checkBuild(): void {
  const srcDir = new URL('../src/job/', import.meta.url);
  for (const file of readdirSync(srcDir).filter((name) => name.endsWith('.ts'))) {
    const built = dist(`job/${file.replace(/\.ts$/, '.js')}`);
    let builtAt: number;
    try {
      builtAt = statSync(built).mtimeMs;
    } catch {
      throw new Error(`${built.pathname} is missing: run \`pnpm build\` in packages/core first`);
    }
    if (statSync(new URL(file, srcDir)).mtimeMs > builtAt) {
      throw new Error(`dist is older than src/job/${file}: run \`pnpm build\` in packages/core`);
    }
  }
}
checkBuild();

export const jobModule = (await import(dist('job/index.js').href)) as typeof JobModule;
const logModule = (await import(dist('log.js').href)) as typeof LogModule;

export const fixture = (name: string) =>
  new URL(`./fixtures/agents/${name}`, import.meta.url).pathname;
export const SCRIPTED_AGENT = fixture('scripted-agent.mjs');

/** Small deadlines so failures are quick; tests override what they exercise. */
export const TEST_POOL_OPTIONS: Omit<ProcPoolOptions, 'agentFile'> = {
  numIdleProcesses: 1,
  initializeTimeoutMs: 15_000,
  shutdownTimeoutMs: 2_000,
  pingIntervalMs: 100,
  pingTimeoutMs: 5_000,
};

export function createPool(options: Partial<ProcPoolOptions> = {}): ProcPool {
  return new jobModule.ProcPool({ agentFile: SCRIPTED_AGENT, ...TEST_POOL_OPTIONS, ...options });
}

export type LogRecord = Record<string, unknown> & { level: number; msg: string };

/**
 * Sends the worker-side logger (and so every forwarded child line) into an
 * array. Every `job process started` line names a child: `childPids` reads
 * them, so a test can check that none is left running.
 */
export function captureLogs(): LogRecord[] {
  const records: LogRecord[] = [];
  logModule.initializeLogger({
    level: 'debug',
    pretty: false,
    destination: { write: (line: string) => void records.push(JSON.parse(line)) },
  });
  return records;
}

export function childPids(records: LogRecord[]): number[] {
  return records
    .filter((record) => record.msg === 'job process started')
    .map((record) => record.jobPid as number);
}

/** A job whose entry does what `mode` names in scripted-agent.mjs. */
export function jobInfo(
  id: string,
  mode: string,
  args: Record<string, unknown> = {},
  url = 'ws://127.0.0.1:9', // nothing listens there: a connect fails at once
): RunningJobInfo {
  return {
    job: new Job({ id, room: { name: `room-${id}` }, metadata: JSON.stringify({ mode, ...args }) }),
    url,
    token: 'test-token',
    acceptArguments: { identity: `agent-${id}`, name: 'Agent', metadata: '', attributes: {} },
    workerId: 'W_test',
  };
}

type Exit = ProcPoolEvents['job_exited'];

/** The `job_exited` of `jobId`. Call it before the exit can happen. */
export function jobExit(pool: ProcPool, jobId: string, timeoutMs = 10_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pool.off('job_exited', onExit);
      reject(new Error(`job ${jobId} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (exit: Exit) => {
      if (exit.jobId !== jobId) return;
      clearTimeout(timer);
      pool.off('job_exited', onExit);
      resolve(exit);
    };
    pool.on('job_exited', onExit);
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails past the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The first captured line with message `msg` (and, if given, from job `jobId`). */
export function findLog(records: LogRecord[], msg: string, jobId?: string): LogRecord | undefined {
  return records.find((r) => r.msg === msg && (jobId === undefined || r.jobId === jobId));
}

/**
 * Whether `pid` is a live process. A zombie (exited, not yet reaped by its
 * parent, which for an orphan is init) counts as gone: it runs nothing.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false; // gone between the two checks
  }
}

/** Fails if any of `pids` is still running `timeoutMs` from now. */
export async function expectAllGone(pids: number[], timeoutMs = 5_000): Promise<void> {
  await waitFor(
    `processes ${pids.filter(isAlive).join(', ')} to be gone`,
    () => pids.every((pid) => !isAlive(pid)),
    timeoutMs,
  );
}
