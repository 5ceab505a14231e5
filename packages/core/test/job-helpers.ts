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
import type { Listener } from '../src/utils/emitter.js';
import { scaledMs } from './time.js';

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

/**
 * Deadlines a loaded machine meets; tests override what they exercise. A
 * deadline a test expects to pass stays small and unscaled only where the
 * test needs it to fire.
 */
export const TEST_POOL_OPTIONS: Omit<ProcPoolOptions, 'agentFile'> = {
  numIdleProcesses: 1,
  initializeTimeoutMs: scaledMs(30_000),
  shutdownTimeoutMs: scaledMs(5_000),
  pingIntervalMs: 100,
  pingTimeoutMs: scaledMs(15_000),
  launchQueueTimeoutMs: scaledMs(60_000),
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
    // Trace: each pong is a line, so a test can wait for proof of life.
    level: 'trace',
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

/**
 * The first `name` event of `pool` that `accept` takes. Call it before the
 * event can happen.
 */
export function nextEvent<K extends keyof ProcPoolEvents>(
  pool: ProcPool,
  name: K,
  accept: (event: ProcPoolEvents[K]) => boolean = () => true,
  timeoutMs = scaledMs(30_000),
): Promise<ProcPoolEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pool.off(name, listener);
      reject(new Error(`no ${String(name)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    // Every pool event has a payload; the emitter's generic signature cannot see that for a generic K.
    const listener = ((event: ProcPoolEvents[K]) => {
      if (!accept(event)) return;
      clearTimeout(timer);
      pool.off(name, listener);
      resolve(event);
    }) as unknown as Listener<ProcPoolEvents[K]>;
    pool.on(name, listener);
  });
}

/** The `job_exited` of `jobId`. Call it before the exit can happen. */
export function jobExit(
  pool: ProcPool,
  jobId: string,
  timeoutMs = scaledMs(30_000),
): Promise<Exit> {
  return nextEvent(pool, 'job_exited', (exit) => exit.jobId === jobId, timeoutMs);
}

/** Resolves once `count` processes are idle (`start()` returns before they are). */
export async function idleReady(pool: ProcPool, count: number): Promise<void> {
  await waitFor(`${count} idle processes (have ${pool.idleCount})`, () => pool.idleCount >= count);
}

/** Resolves once `count` more pongs from `jobId` have arrived after the call. */
export async function pongs(records: LogRecord[], jobId: string, count: number): Promise<void> {
  const isPong = (r: LogRecord) => r.event === 'pong' && r.jobId === jobId;
  const before = records.filter(isPong).length;
  await waitFor(
    `${count} pongs from job ${jobId}`,
    () => records.filter(isPong).length >= before + count,
  );
}

/** Polls `check` until it returns a value other than undefined/false, or fails past the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = scaledMs(20_000),
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
export async function expectAllGone(pids: number[], timeoutMs = scaledMs(10_000)): Promise<void> {
  await waitFor(
    `processes ${pids.filter(isAlive).join(', ')} to be gone`,
    () => pids.every((pid) => !isAlive(pid)),
    timeoutMs,
  );
}

/** The pids a `spawnHelper` job wrote to `marker`, once it has. */
export async function helperPids(marker: string): Promise<{ helperPid: number; jobPid: number }> {
  const text = await waitFor(`the job to write ${marker}`, () => {
    try {
      return readFileSync(marker, 'utf8') || undefined;
    } catch {
      return undefined;
    }
  });
  return JSON.parse(text);
}

/** SIGKILLs whichever of `pids` is still alive: cleanup after a failed test. */
export function killIfAlive(pids: number[]): void {
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
