// How the pool keeps job processes honest: every wait has a deadline, and a
// process that misses one is killed. Real child processes; see job-helpers.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  waitFor,
} from './job-helpers.js';

const records = captureLogs();
const scratch = mkdtempSync(join(tmpdir(), 'job-health-'));
let pool: ProcPool | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await expectAllGone(childPids(records));
});

const elapsedSince = (start: number) => performance.now() - start;

describe('job process health', () => {
  it('kills a child that blocks its event loop once pongs stop for pingTimeoutMs', async () => {
    pool = createPool({ pingIntervalMs: 100, pingTimeoutMs: 1_000 });
    await pool.start();
    const exit = jobExit(pool, 'busy');
    await pool.launchJob(jobInfo('busy', 'busy'));
    const start = performance.now();
    const { status, error } = await exit;
    expect(status).toBe('failed');
    expect(error).toMatch(/^job process killed: unresponsive: no pong for \d+ ms$/);
    expect(elapsedSince(start)).toBeLessThan(3_000);
  });

  it('kills a process whose prewarm does not finish within initializeTimeoutMs', async () => {
    pool = createPool({
      initializeTimeoutMs: 500,
      env: { ...process.env, FIXTURE_PREWARM: 'hang' },
    });
    const start = performance.now();
    await pool.start(); // resolves when the first batch has failed
    expect(elapsedSince(start)).toBeGreaterThanOrEqual(500);
    expect(pool.idleCount).toBe(0);
    expect(findLog(records, 'job process failed to initialize')).toBeDefined();
    // A job that needs a process gets a fresh one, which fails the same way.
    await expect(pool.launchJob(jobInfo('never', 'report'))).rejects.toThrow(
      /^could not start job never: job process ended before it was ready: job process killed: did not initialize within 500 ms$/,
    );
  });

  it('fails the launch with the error of a prewarm that throws', async () => {
    pool = createPool({ numIdleProcesses: 0, env: { ...process.env, FIXTURE_PREWARM: 'throw' } });
    await pool.start();
    await expect(pool.launchJob(jobInfo('broken', 'report'))).rejects.toThrow(
      'could not start job broken: job process failed to initialize: prewarm exploded',
    );
    expect(pool.activeJobs).toEqual([]);
  });

  it('asks first on shutdownJob: shutdown callbacks run and the job ends with success', async () => {
    pool = createPool();
    await pool.start();
    const exit = jobExit(pool, 'polite');
    await pool.launchJob(jobInfo('polite', 'shutdownCallback'));
    await pool.shutdownJob('polite', 'the test is over');
    expect(await exit).toEqual({ jobId: 'polite', status: 'success' });
    expect(findLog(records, 'shutdown callback ran', 'polite')).toMatchObject({
      reason: 'the test is over',
    });
  });

  it('kills a child that does not finish its shutdown within shutdownTimeoutMs', async () => {
    pool = createPool({ shutdownTimeoutMs: 500 });
    await pool.start();
    const marker = join(scratch, 'shutdown-started');
    const exit = jobExit(pool, 'stubborn');
    await pool.launchJob(jobInfo('stubborn', 'hangOnShutdown', { marker }));
    const start = performance.now();
    await pool.shutdownJob('stubborn', 'the test is over');
    expect(elapsedSince(start)).toBeGreaterThanOrEqual(490);
    expect(elapsedSince(start)).toBeLessThan(3_000);
    expect(await exit).toEqual({
      jobId: 'stubborn',
      status: 'failed',
      error: 'job process killed: did not exit within 500 ms of the shutdown request',
    });
    // It was asked before it was killed: its shutdown callback had started.
    expect(readFileSync(marker, 'utf8')).toBe('the test is over');
  });

  it('bounds a teardown the job started itself: a hung shutdown callback fails the job', async () => {
    pool = createPool({ shutdownTimeoutMs: 500 });
    await pool.start();
    const exit = jobExit(pool, 'self-hung');
    await pool.launchJob(jobInfo('self-hung', 'hangOnSelfShutdown'));
    expect(await exit).toEqual({
      jobId: 'self-hung',
      status: 'failed',
      error: 'shutdown did not finish within 500 ms',
    });
  });

  it('replaces an idle process that dies', async () => {
    pool = createPool({ numIdleProcesses: 1 });
    const before = childPids(records).length;
    await pool.start();
    const [idlePid] = childPids(records).slice(before);
    process.kill(idlePid!, 'SIGKILL');
    await waitFor('a replacement to start', () => childPids(records).length === before + 2);
    await waitFor('the replacement to be ready', () => pool?.idleCount === 1);
    expect(findLog(records, 'an idle job process exited')).toMatchObject({ jobPid: idlePid });
  });

  it('warns past memoryWarnMB and kills past memoryLimitMB', async () => {
    pool = createPool({ memoryWarnMB: 200, memoryLimitMB: 400 });
    await pool.start();
    const exit = jobExit(pool, 'hungry');
    await pool.launchJob(jobInfo('hungry', 'allocate'));
    const { status, error } = await exit;
    expect(status).toBe('failed');
    expect(error).toMatch(/^job process killed: memory limit exceeded: \d+ MB > 400 MB$/);
    const warning = findLog(records, 'job process memory is high', 'hungry');
    expect(warning).toMatchObject({ memoryWarnMB: 200, memoryLimitMB: 400 });
    expect(warning?.rssMB).toBeGreaterThan(200);
  });

  it('drain waits for jobs to end, then shuts down those still running at its deadline', async () => {
    pool = createPool({ numIdleProcesses: 2 });
    await pool.start();
    const quickExit = jobExit(pool, 'quick');
    const slowExit = jobExit(pool, 'slow');
    await pool.launchJob(jobInfo('quick', 'selfShutdown'));
    await pool.launchJob(jobInfo('slow', 'shutdownCallback'));
    const start = performance.now();
    await pool.drain(1_000);
    expect(elapsedSince(start)).toBeGreaterThanOrEqual(990);
    expect(await quickExit).toMatchObject({ status: 'success' });
    expect(await slowExit).toMatchObject({ status: 'success' });
    expect(findLog(records, 'shutdown callback ran', 'slow')).toBeDefined();
    expect(pool.activeJobs).toEqual([]);
    expect(pool.idleCount).toBe(0);
  });

  it('drain returns as soon as the last job ends', async () => {
    pool = createPool({ numIdleProcesses: 1 });
    await pool.start();
    const exit = jobExit(pool, 'short');
    await pool.launchJob(jobInfo('short', 'selfShutdown'));
    const start = performance.now();
    await pool.drain(10_000);
    expect(elapsedSince(start)).toBeLessThan(5_000);
    expect((await exit).status).toBe('success');
  });

  it('close() is idempotent and reaps every process', async () => {
    pool = createPool({ numIdleProcesses: 2 });
    const before = childPids(records).length;
    await pool.start();
    await pool.launchJob(jobInfo('at-close', 'idle'));
    await waitFor('the pool to refill', () => pool?.idleCount === 2);
    const pids = childPids(records).slice(before);
    expect(pids).toHaveLength(3);
    const [first, second] = [pool.close(), pool.close()];
    expect(first).toBe(second);
    await first;
    await expectAllGone(pids, 1_000);
    await expect(pool.launchJob(jobInfo('late', 'idle'))).rejects.toThrow(/closed/);
  });
});
