// What a job starts ends with the job: each job process leads its own process
// group, and the pool kills the group once the job's process has exited or
// when it kills it. (A dead worker: job-host.e2e.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ProcPool } from '../src/job/index.js';
import {
  captureLogs,
  childPids,
  createPool,
  expectAllGone,
  helperPids,
  isAlive,
  jobExit,
  jobInfo,
  killIfAlive,
  waitFor,
} from './job-helpers.js';

const records = captureLogs();
const scratch = mkdtempSync(join(tmpdir(), 'job-groups-'));
const helpers: number[] = [];
let pool: ProcPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
  killIfAlive(helpers.splice(0));
});

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await expectAllGone(childPids(records));
});

describe("a job's own processes", () => {
  it('end when the job ends normally', async () => {
    pool = createPool();
    const marker = join(scratch, 'normal');
    const exit = jobExit(pool, 'normal');
    await pool.launchJob(jobInfo('normal', 'spawnHelper', { marker, after: 'shutdown' }));
    const { helperPid } = await helperPids(marker);
    helpers.push(helperPid);
    expect(await exit).toEqual({ jobId: 'normal', status: 'success' });
    await expectAllGone([helperPid]);
  });

  it('end when the pool kills the job (here: its event loop blocks past pingTimeoutMs)', async () => {
    pool = createPool({ pingTimeoutMs: 1_000 });
    const marker = join(scratch, 'killed');
    const exit = jobExit(pool, 'killed');
    await pool.launchJob(jobInfo('killed', 'spawnHelper', { marker, after: 'busy' }));
    const { helperPid, jobPid } = await helperPids(marker);
    helpers.push(helperPid);
    expect(isAlive(helperPid)).toBe(true);
    expect(await exit).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/unresponsive/),
    });
    await expectAllGone([jobPid, helperPid]);
  });

  it('end when the job process is killed from outside', async () => {
    pool = createPool();
    const marker = join(scratch, 'outside');
    const exit = jobExit(pool, 'outside');
    await pool.launchJob(jobInfo('outside', 'spawnHelper', { marker, after: 'stay' }));
    const { helperPid, jobPid } = await helperPids(marker);
    helpers.push(helperPid);
    process.kill(jobPid, 'SIGKILL'); // as the OOM killer would
    expect(await exit).toMatchObject({ status: 'failed' });
    await expectAllGone([helperPid]);
  });
});

describe("the pool's reaper", () => {
  it('is gone once the pool has closed', async () => {
    const earlier = records.length; // earlier tests' pools had reapers of their own
    pool = createPool();
    await pool.start();
    const started = await waitFor('the reaper to start', () =>
      records.slice(earlier).find((record) => record.msg === 'job process reaper started'),
    );
    const reaperPid = started.reaperPid as number;
    expect(isAlive(reaperPid)).toBe(true);
    await pool.close();
    // close() waits for the reaper's exit: nothing is left to kill, nothing to reap.
    expect(isAlive(reaperPid)).toBe(false);
  });
});
