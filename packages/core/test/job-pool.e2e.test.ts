// Job processes from the pool: warm-up, a job's outcome, log forwarding.
// Real child processes; see job-helpers.ts for why these tests run the build.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcPool } from '../src/job/index.js';
import {
  captureLogs,
  childPids,
  createPool,
  expectAllGone,
  findLog,
  idleReady,
  isAlive,
  jobExit,
  jobInfo,
  pongs,
  waitFor,
} from './job-helpers.js';

const records = captureLogs();
let pool: ProcPool;

beforeAll(async () => {
  pool = createPool({ numIdleProcesses: 2 });
  await pool.start();
  await idleReady(pool, 2);
});

afterAll(async () => {
  await pool.close();
  await expectAllGone(childPids(records));
});

/** The pid of the process that runs `jobId`, from the pool's "job started" line. */
const pidOf = (jobId: string) => findLog(records, 'job started', jobId)?.jobPid as number;

describe('ProcPool', () => {
  it('keeps idle processes warm, runs prewarm once per process, and refills after a job', async () => {
    expect(pool.idleCount).toBe(2);
    const startedBefore = childPids(records).length;
    const exit = jobExit(pool, 'report');
    await pool.launchJob(jobInfo('report', 'report'));
    expect(pool.activeJobs.map((info) => info.job.id)).toContain('report');
    expect(await exit).toEqual({ jobId: 'report', status: 'success' });

    const report = findLog(records, 'fixture report', 'report');
    expect(report).toMatchObject({
      prewarmCalls: 1,
      userData: { model: 'loaded', prewarmedIn: report?.entryPid },
      isJobProcess: true,
      room: 'room-report',
      identity: 'agent-report',
      jobPid: report?.entryPid,
    });
    // The job took an idle process; one new process replaced it.
    await waitFor('the pool to refill', () => pool.idleCount === 2);
    expect(childPids(records).length).toBe(startedBefore + 1);
    expect(pool.activeJobs).toEqual([]);
  });

  it('writes the child’s log lines through the worker’s logger, with job bindings', async () => {
    const exit = jobExit(pool, 'logs');
    await pool.launchJob(jobInfo('logs', 'log'));
    await exit;
    const line = findLog(records, 'hello from the job', 'logs');
    expect(line).toMatchObject({ level: 30, detail: 42, jobId: 'logs', jobPid: pidOf('logs') });
    // Redacted in the child, before the line ever left it.
    expect(line?.token).toBe('[redacted]');
  });

  it('drops log lines past its in-flight bound, and says how many', async () => {
    const exit = jobExit(pool, 'flood');
    await pool.launchJob(jobInfo('flood', 'flood', { lines: 3_000 }));
    expect((await exit).status).toBe('success');
    const received = records.filter((r) => r.jobId === 'flood' && r.msg === 'flood').length;
    const notice = records.find((r) => r.jobId === 'flood' && /^dropped \d+ log lines/.test(r.msg));
    expect(notice?.level).toBe(40);
    expect(received + Number(/\d+/.exec(notice!.msg)![0])).toBe(3_000);
    expect(findLog(records, 'after the flood', 'flood')).toBeDefined();
  });

  it('fails a job whose entry throws, frees its slot, and runs the next job', async () => {
    const failed = jobExit(pool, 'throws');
    await pool.launchJob(jobInfo('throws', 'throw'));
    expect(await failed).toEqual({ jobId: 'throws', status: 'failed', error: 'entry exploded' });
    // The child's error, serialized once, in the child: its type and stack survive the trip.
    expect(findLog(records, 'the job entry failed', 'throws')?.err).toMatchObject({
      type: 'Error',
      message: 'entry exploded',
      stack: expect.stringContaining('scripted-agent.mjs'),
    });
    expect(pool.activeJobs).toEqual([]);

    const next = jobExit(pool, 'after-throw');
    await pool.launchJob(jobInfo('after-throw', 'report'));
    expect((await next).status).toBe('success');
  });

  it('fails a job whose process exits', async () => {
    const exit = jobExit(pool, 'exits');
    await pool.launchJob(jobInfo('exits', 'exit'));
    expect(await exit).toMatchObject({
      status: 'failed',
      error: 'job process exited unexpectedly (exit code 3)',
    });
  });

  it('fails a job whose process is killed from outside', async () => {
    const exit = jobExit(pool, 'killed');
    await pool.launchJob(jobInfo('killed', 'idle'));
    process.kill(pidOf('killed'), 'SIGKILL');
    expect(await exit).toMatchObject({
      status: 'failed',
      error: 'job process exited unexpectedly (signal SIGKILL)',
    });
  });

  it('keeps the job running after the entry returns, until it is shut down', async () => {
    const exit = jobExit(pool, 'returns');
    let exited = false;
    void exit.then(() => (exited = true));
    await pool.launchJob(jobInfo('returns', 'idle'));
    await waitFor('the entry to return', () =>
      records.some((r) => r.jobId === 'returns' && /entry returned/.test(r.msg)),
    );
    // Several pongs after the entry returned, the job is still there.
    await pongs(records, 'returns', 3);
    expect(exited).toBe(false);
    expect(pool.activeJobs.map((info) => info.job.id)).toContain('returns');

    await pool.shutdownJob('returns', 'test over');
    expect(await exit).toEqual({ jobId: 'returns', status: 'success' });
  });

  it('ends the job with success when the entry calls ctx.shutdown()', async () => {
    const exit = jobExit(pool, 'self');
    await pool.launchJob(jobInfo('self', 'selfShutdown'));
    expect(await exit).toEqual({ jobId: 'self', status: 'success' });
    expect(findLog(records, 'job ending', 'self')).toMatchObject({ reason: 'the entry is done' });
  });

  it('leaves SIGINT and SIGTERM to the worker: the child ignores them', async () => {
    const exit = jobExit(pool, 'signals');
    await pool.launchJob(jobInfo('signals', 'idle'));
    const pid = pidOf('signals');
    process.kill(pid, 'SIGINT');
    process.kill(pid, 'SIGTERM');
    // Signals are delivered at once: pongs that come after them come from a child that lived on.
    await pongs(records, 'signals', 3);
    expect(isAlive(pid)).toBe(true);
    await pool.shutdownJob('signals', 'test over');
    expect((await exit).status).toBe('success');
  });

  it('fails the job cleanly when connect() cannot reach the server', async () => {
    const exit = jobExit(pool, 'connect');
    // autoSubscribe 'none' must not keep the entry from running (it did in the Python 0.7 reference).
    await pool.launchJob(jobInfo('connect', 'connect', { autoSubscribe: 'none' }));
    const { status, error } = await exit;
    expect(findLog(records, 'connecting', 'connect')).toBeDefined();
    expect(status).toBe('failed');
    expect(error).toMatch(/^could not connect to the room at ws:\/\/127\.0\.0\.1:9\/?: /);
    expect(error).not.toContain('test-token');
    expect(pool.activeJobs).toEqual([]);
  });

  it('gives up waitForParticipant() at its deadline', async () => {
    const exit = jobExit(pool, 'wait');
    await pool.launchJob(jobInfo('wait', 'waitForParticipant'));
    expect(await exit).toMatchObject({
      status: 'failed',
      error: 'no participant joined within 200 ms',
    });
  });

  it('refuses a second job with the same id while the first runs', async () => {
    const exit = jobExit(pool, 'twice');
    await pool.launchJob(jobInfo('twice', 'idle'));
    await expect(pool.launchJob(jobInfo('twice', 'idle'))).rejects.toMatchObject({
      reason: 'duplicate',
      message: 'could not start job twice: a job with this id is already running',
    });
    await pool.shutdownJob('twice', 'test over');
    await exit;
  });
});
