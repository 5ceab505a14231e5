// When the pool replaces the process a job took: after the job's entry has
// started (a fork and a new process's imports would take the CPU the job's
// start needs), and still when the entry never reports starting.
// Real child processes; see job-helpers.ts for why these tests run the build.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcPool } from '../src/job/index.js';
import {
  captureLogs,
  childPids,
  createPool,
  expectAllGone,
  idleReady,
  jobExit,
  jobInfo,
  nextEvent,
  waitFor,
} from './job-helpers.js';
import { scaledMs } from './time.js';

const records = captureLogs();
let pool: ProcPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
  await expectAllGone(childPids(records));
});

/** Where in the captured log the first line matching `match` is; -1 if none. */
const indexOf = (match: (r: (typeof records)[number]) => boolean) => records.findIndex(match);

describe('ProcPool refill', () => {
  it('forks a ready process’s replacement only once the job’s entry has started', async () => {
    pool = createPool({ numIdleProcesses: 1 });
    await pool.start();
    await idleReady(pool, 1);
    const forkedBefore = childPids(records).length;
    const exit = jobExit(pool, 'slow');
    // The entry is busy for 300 ms from its first line: a replacement forked at
    // the job's acknowledgement would be logged long before the entry's line.
    await pool.launchJob(jobInfo('slow', 'slowStart', { blockMs: 300 }));
    expect(await exit).toEqual({ jobId: 'slow', status: 'success' });
    await waitFor('the replacement', () => childPids(records).length > forkedBefore);

    const entry = indexOf((r) => r.msg === 'entry running' && r.jobId === 'slow');
    const replacement = indexOf(
      (r) => r.msg === 'job process started' && r.jobPid === childPids(records)[forkedBefore],
    );
    expect(entry).toBeGreaterThanOrEqual(0);
    expect(replacement).toBeGreaterThan(entry);
    await idleReady(pool, 1);
  });

  it('still replaces the process when the job dies before its entry reports starting', async () => {
    pool = createPool({ numIdleProcesses: 1 });
    await pool.start();
    await idleReady(pool, 1);
    const forkedBefore = childPids(records).length;
    const exit = jobExit(pool, 'dies');
    await pool.launchJob(jobInfo('dies', 'exit')); // process.exit(3) from the entry's first line
    expect(await exit).toMatchObject({ status: 'failed' });
    await idleReady(pool, 1);
    expect(childPids(records).length).toBe(forkedBefore + 1);
  });

  it('replaces the process while an entry that blocks its event loop still runs', async () => {
    // No ping kill during the test: the job must still be running when the replacement is ready.
    pool = createPool({ numIdleProcesses: 1, pingTimeoutMs: scaledMs(120_000) });
    await pool.start();
    await idleReady(pool, 1);
    const exit = jobExit(pool, 'blocked');
    let exited = false;
    void exit.then(() => (exited = true));
    const ready = nextEvent(pool, 'process_ready');
    await pool.launchJob(jobInfo('blocked', 'busy'));
    const jobPid = childPids(records).at(-1)!;
    const { pid } = await ready;

    expect(pid).not.toBe(jobPid);
    expect(exited).toBe(false);
    expect(pool.activeJobs.map((info) => info.job.id)).toEqual(['blocked']);
    process.kill(jobPid, 'SIGKILL');
    expect(await exit).toMatchObject({ status: 'failed' });
  });
});
