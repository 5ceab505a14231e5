import { availableParallelism } from 'node:os';
import type { SupervisedProcessOptions } from './supervised-process.js';

/** What each process gets (see `SupervisedProcessOptions`), how many wait ready, and how many start at once. */
export interface ProcPoolOptions extends Omit<SupervisedProcessOptions, 'jobMainPath'> {
  /** Processes kept initialized and waiting, so a job starts without waiting for `prewarm`. */
  numIdleProcesses: number;
  /**
   * Processes allowed to initialize (import the agent file, run `prewarm`) at
   * once. A burst of jobs beyond it waits in line instead of every process
   * missing `initializeTimeoutMs` together. Default: the number of CPUs, at
   * most 4 (at least 1).
   */
  maxConcurrentInits?: number;
  /** How long a job may wait for a start-up slot before its launch fails. Default 10 s. */
  launchQueueTimeoutMs?: number;
  /** Launches that may wait for a start-up slot at once; more are refused at once. Default 1000. */
  maxQueuedLaunches?: number;
}

export const DEFAULT_MAX_CONCURRENT_INITS = Math.max(1, Math.min(availableParallelism(), 4));

/** Starting points for a worker; tests use much smaller timeouts. */
export const DEFAULT_PROC_POOL_OPTIONS = Object.freeze({
  numIdleProcesses: 3,
  initializeTimeoutMs: 10_000,
  shutdownTimeoutMs: 60_000,
  pingIntervalMs: 2_500,
  // A voice job whose event loop is blocked this long is broken, not busy.
  pingTimeoutMs: 30_000,
  memoryWarnMB: 500,
  maxConcurrentInits: DEFAULT_MAX_CONCURRENT_INITS,
  launchQueueTimeoutMs: 10_000,
  maxQueuedLaunches: 1_000,
}) satisfies Omit<ProcPoolOptions, 'agentFile'>;

export function checkOptions(options: ProcPoolOptions): void {
  const positive = [
    'initializeTimeoutMs',
    'shutdownTimeoutMs',
    'pingIntervalMs',
    'pingTimeoutMs',
    'acknowledgeTimeoutMs',
    'memoryWarnMB',
    'memoryLimitMB',
    'launchQueueTimeoutMs',
  ] as const;
  const optional = new Set<string>([
    'acknowledgeTimeoutMs',
    'memoryWarnMB',
    'memoryLimitMB',
    'launchQueueTimeoutMs',
  ]);
  for (const key of positive) {
    const value = options[key];
    if (value === undefined && optional.has(key)) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TypeError(`process pool option ${key} must be a number > 0 (got ${String(value)})`);
    }
  }
  const wholeNumbers = [
    ['numIdleProcesses', 0],
    ['maxConcurrentInits', 1],
    ['maxQueuedLaunches', 0],
  ] as const;
  for (const [key, min] of wholeNumbers) {
    const value = options[key];
    if (value === undefined && key !== 'numIdleProcesses') continue;
    if (!Number.isInteger(value) || (value as number) < min) {
      throw new TypeError(
        `process pool option ${key} must be a whole number >= ${min} (got ${String(value)})`,
      );
    }
  }
  const { memoryWarnMB, memoryLimitMB } = options;
  if (memoryWarnMB !== undefined && memoryLimitMB !== undefined && memoryWarnMB >= memoryLimitMB) {
    throw new TypeError('process pool option memoryWarnMB must be below memoryLimitMB');
  }
}
