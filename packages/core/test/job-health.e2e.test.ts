// How the pool keeps job processes honest: every wait has a deadline, and a
// process that misses one is killed. Real child processes; see job-helpers.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  idleReady,
  jobExit,
  jobInfo,
  jobModule,
  nextEvent,
  waitFor,
} from './job-helpers.js';
import { scaledMs } from './time.js';

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

describe('job process health', () => {
  it('kills a child that blocks its event loop once pongs stop for pingTimeoutMs', async () => {
    pool = createPool({ pingIntervalMs: 100, pingTimeoutMs: 1_000 });
    await pool.start();
    const exit = jobExit(pool, 'busy');
    await pool.launchJob(jobInfo('busy', 'busy'));
    const { status, error } = await exit;
    expect(status).toBe('failed');
    expect(error).toMatch(/^job process killed: unresponsive: no pong for \d+ ms$/);
  });

  it('kills a process whose prewarm does not finish within initializeTimeoutMs', async () => {
    pool = createPool({
      initializeTimeoutMs: 500,
      env: { ...process.env, FIXTURE_PREWARM: 'hang' },
    });
    const failed = nextEvent(pool, 'init_failed');
    await pool.start(); // returns at once; the failure comes as an event
    expect(await failed).toEqual({
      error:
        'job process ended before it was ready: job process killed: did not initialize within 500 ms',
      consecutiveFailures: 1,
    });
    expect(pool.initFailing).toBe(true);
    expect(pool.idleCount).toBe(0);
    // A job that needs a process gets a fresh one, which fails the same way.
    const launch = pool.launchJob(jobInfo('never', 'report'));
    await expect(launch).rejects.toBeInstanceOf(jobModule.JobLaunchError);
    await expect(launch).rejects.toMatchObject({
      reason: 'init_failed',
      message:
        'could not start job never: job process ended before it was ready: job process killed: did not initialize within 500 ms',
    });
  });

  it('fails the launch with the error of a prewarm that throws, logged once with its stack', async () => {
    pool = createPool({ numIdleProcesses: 0, env: { ...process.env, FIXTURE_PREWARM: 'throw' } });
    const third = nextEvent(pool, 'init_failed', (e) => e.consecutiveFailures === 3);
    const logFrom = records.length;
    // Even with numIdleProcesses 0, start() tries one process, which shows the broken file.
    await pool.start();
    expect(await third).toEqual({
      error: 'job process failed to initialize: prewarm exploded',
      consecutiveFailures: 3,
    });
    await expect(pool.launchJob(jobInfo('broken', 'report'))).rejects.toMatchObject({
      reason: 'init_failed',
      // The child's error once, not repeated by a cause chain.
      message: 'could not start job broken: job process failed to initialize: prewarm exploded',
    });
    expect(pool.activeJobs).toEqual([]);
    const failures = records.slice(logFrom).filter((r) => r.event === 'init_failed');
    // The stack (the child's, pointing into the agent file) once; repeats are one short line each.
    expect(failures[0]).toMatchObject({ level: 50, consecutiveFailures: 1 });
    expect((failures[0]?.err as { stack?: string } | undefined)?.stack).toContain(
      'scripted-agent.mjs',
    );
    expect(failures.slice(1).every((r) => r.level === 40 && r.err === undefined)).toBe(true);
    expect(failures.slice(1).map((r) => r.consecutiveFailures)).toEqual(
      Array.from({ length: failures.length - 1 }, (_, i) => i + 2),
    );
  });

  it('reports initFailing until a process initializes again, then serves jobs', async () => {
    const fixed = join(scratch, 'agent-fixed');
    pool = createPool({
      numIdleProcesses: 0,
      env: { ...process.env, FIXTURE_PREWARM: 'throwUntilFile', FIXTURE_PREWARM_FILE: fixed },
    });
    const failed = nextEvent(pool, 'init_failed');
    await pool.start();
    expect((await failed).error).toBe('job process failed to initialize: not fixed yet');
    expect(pool.initFailing).toBe(true);
    const ready = nextEvent(pool, 'process_ready');
    writeFileSync(fixed, '');
    const { pid } = await ready;
    expect(pool.initFailing).toBe(false);
    // The process that proved the file loads serves the first job.
    const exit = jobExit(pool, 'after-fix');
    await pool.launchJob(jobInfo('after-fix', 'report'));
    expect(findLog(records, 'job started', 'after-fix')?.jobPid).toBe(pid);
    expect((await exit).status).toBe('success');
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
    await pool.shutdownJob('stubborn', 'the test is over');
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
    await idleReady(pool, 1);
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
    const logFrom = records.length;
    await pool.drain(scaledMs(1_000));
    expect(await quickExit).toMatchObject({ status: 'success' });
    expect(await slowExit).toMatchObject({ status: 'success' });
    // Causes, not timings: the quick job ended itself; the slow one was shut down at the deadline.
    expect(findLog(records, 'job ending', 'quick')).toMatchObject({ reason: 'the entry is done' });
    const atDeadline = records.slice(logFrom).find((r) => /at the drain deadline/.test(r.msg));
    expect(atDeadline?.jobs).toEqual(['slow']);
    expect(findLog(records, 'shutdown callback ran', 'slow')).toMatchObject({
      reason: 'the worker is shutting down',
    });
    expect(pool.activeJobs).toEqual([]);
    expect(pool.idleCount).toBe(0);
  });

  it('drain returns as soon as the last job ends', async () => {
    pool = createPool({ numIdleProcesses: 1 });
    await pool.start();
    const exit = jobExit(pool, 'short');
    await pool.launchJob(jobInfo('short', 'selfShutdown'));
    const logFrom = records.length;
    // Had drain waited for its deadline, it would have logged so and shut the job down.
    await pool.drain(scaledMs(30_000));
    expect((await exit).status).toBe('success');
    expect(records.slice(logFrom).some((r) => /at the drain deadline/.test(r.msg))).toBe(false);
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
    await expectAllGone(pids);
    await expect(pool.launchJob(jobInfo('late', 'idle'))).rejects.toMatchObject({
      reason: 'closed',
    });
  });
});
