// Admission of process start-ups: at most maxConcurrentInits processes
// initialize at once, jobs wait for a slot in a bounded queue with a deadline,
// and jobs come before idle-pool refills. Real child processes; see job-helpers.ts.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ProcPool } from '../src/job/index.js';
import {
  captureLogs,
  childPids,
  createPool,
  expectAllGone,
  findLog,
  jobExit,
  jobInfo,
  jobModule,
  type LogRecord,
} from './job-helpers.js';

const records = captureLogs();
let pool: ProcPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

afterAll(async () => {
  await expectAllGone(childPids(records));
});

/**
 * The most processes initializing at one time, read from the order of the
 * pool's log lines: a fork logs 'job process started', the end of an
 * initialization 'job process initialized' (or an exit, for one that failed).
 */
function peakInitializing(lines: LogRecord[]): number {
  const initializing = new Set<unknown>();
  let peak = 0;
  for (const record of lines) {
    if (record.msg === 'job process started') initializing.add(record.jobPid);
    if (record.msg === 'job process initialized' || record.msg === 'job process exited') {
      initializing.delete(record.jobPid);
    }
    peak = Math.max(peak, initializing.size);
  }
  return peak;
}

describe('process start-up admission', () => {
  it('never initializes more than maxConcurrentInits processes at once, and starts every job', async () => {
    pool = createPool({ numIdleProcesses: 0, maxConcurrentInits: 2 });
    const logFrom = records.length;
    const ids = Array.from({ length: 6 }, (_, i) => `burst-${i}`);
    const exits = ids.map((id) => jobExit(pool!, id));
    const launches = ids.map((id) => pool!.launchJob(jobInfo(id, 'selfShutdown')));
    // Two hold a slot; four wait in line. All count as starting until acknowledged.
    expect(pool.startingCount).toBe(6);
    await Promise.all(launches);
    expect(pool.startingCount).toBe(0);
    for (const exit of await Promise.all(exits)) expect(exit.status).toBe('success');
    const lines = records.slice(logFrom);
    expect(childPids(lines)).toHaveLength(6);
    expect(peakInitializing(lines)).toBe(2);
  });

  it('gives a waiting job the next free slot before the idle pool gets one', async () => {
    pool = createPool({ numIdleProcesses: 2, maxConcurrentInits: 1 });
    const logFrom = records.length;
    await pool.start(); // one spare starts: the only slot
    const ids = ['first', 'second', 'third'];
    await Promise.all(ids.map((id) => pool!.launchJob(jobInfo(id, 'idle'))));
    const forks = childPids(records.slice(logFrom));
    // The first job took the spare; the other two got the next slots, in order, before any refill.
    const pidOf = (id: string) => findLog(records, 'job started', id)?.jobPid;
    expect(ids.map(pidOf)).toEqual(forks.slice(0, 3));
    expect(peakInitializing(records.slice(logFrom))).toBe(1);
  });

  it('fails a launch that waits past launchQueueTimeoutMs with a typed error naming the limit', async () => {
    pool = createPool({
      numIdleProcesses: 0,
      maxConcurrentInits: 1,
      launchQueueTimeoutMs: 200,
      env: { ...process.env, FIXTURE_PREWARM: 'hang' },
    });
    // Holds the only slot for as long as its prewarm hangs (initializeTimeoutMs, scaled).
    const holder = pool.launchJob(jobInfo('holder', 'idle'));
    const waiter = pool.launchJob(jobInfo('waiter', 'idle'));
    await expect(waiter).rejects.toBeInstanceOf(jobModule.JobLaunchError);
    await expect(waiter).rejects.toMatchObject({
      reason: 'queue_timeout',
      retryable: true,
      message:
        'could not start job waiter: waited 200 ms for a process start-up slot (maxConcurrentInits 1): ' +
        'raise maxConcurrentInits or launchQueueTimeoutMs',
    });
    expect(pool.activeJobs.map((info) => info.job.id)).toEqual(['holder']);
    void pool.close();
    await expect(holder).rejects.toMatchObject({ reason: 'closed' });
  });

  it('refuses a launch at once when maxQueuedLaunches wait; shutdownJob cancels a waiting one', async () => {
    pool = createPool({
      numIdleProcesses: 0,
      maxConcurrentInits: 1,
      maxQueuedLaunches: 1,
      env: { ...process.env, FIXTURE_PREWARM: 'hang' },
    });
    const holder = pool.launchJob(jobInfo('holder', 'idle'));
    const queued = pool.launchJob(jobInfo('queued', 'idle'));
    await expect(pool.launchJob(jobInfo('one-too-many', 'idle'))).rejects.toMatchObject({
      reason: 'queue_full',
      message: expect.stringContaining('raise maxConcurrentInits or maxQueuedLaunches'),
    });
    expect(pool.startingCount).toBe(2);
    await pool.shutdownJob('queued', 'the server terminated it');
    await expect(queued).rejects.toMatchObject({ reason: 'cancelled' });
    expect(pool.startingCount).toBe(1);
    void pool.close();
    await expect(holder).rejects.toMatchObject({ reason: 'closed' });
  });
});
