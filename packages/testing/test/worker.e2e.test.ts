import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JobRequest, Worker, WorkerAuthError, type WorkerOptions } from '@agents/core';
import { JobStatus, WorkerStatus } from '@livekit/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LiveKitStandIn } from '../src/livekit/index.js';

const AGENT = fileURLToPath(new URL('./fixtures/agents/scripted-agent.mjs', import.meta.url));

let server: LiveKitStandIn;
let markers: string;
let worker: Worker | undefined;
let running: Promise<void> | undefined;
/** Every job process pid seen, to prove none outlives the tests. */
const pids = new Set<number>();

beforeAll(async () => {
  markers = await mkdtemp(join(tmpdir(), 'agents-markers-'));
  process.env.AGENT_MARKERS = markers;
});

afterAll(async () => {
  await rm(markers, { recursive: true, force: true });
  // No job process may survive its worker.
  await until(() => [...pids].every((pid) => !alive(pid)), 10_000, 'job processes to exit');
});

beforeEach(async () => {
  server = await LiveKitStandIn.start({ availabilityTimeoutMs: 3000 });
});

afterEach(async () => {
  await worker?.close();
  await running?.catch(() => {});
  worker = undefined;
  running = undefined;
  await server.close();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Marker {
  room: string;
  pid: number;
  prewarmed: boolean;
}

/** The marker a job's entry wrote, once it exists. */
async function entryReached(jobId: string, timeoutMs = 15_000): Promise<Marker> {
  const path = join(markers, jobId);
  await until(() => existsSync(path), timeoutMs, `the entry of job ${jobId}`);
  const marker = JSON.parse(readFileSync(path, 'utf8')) as Marker;
  pids.add(marker.pid);
  return marker;
}

function startWorker(overrides: Partial<WorkerOptions> = {}): Worker {
  worker = new Worker({
    agent: AGENT,
    wsURL: server.url,
    apiKey: server.apiKey,
    apiSecret: server.apiSecret,
    host: '127.0.0.1',
    port: 0,
    numIdleProcesses: 1,
    loadFnc: () => 0,
    jobPingIntervalMs: 200,
    jobPingTimeoutMs: 1500,
    shutdownProcessTimeoutMs: 2000,
    assignmentTimeoutMs: 1000,
    maxRetry: 5,
    ...overrides,
  });
  running = worker.run();
  return worker;
}

/** Creates a room (which dispatches a room job) and returns that job's id once offered. */
async function roomJob(room: string): Promise<string> {
  server.createRoom(room);
  const job = await server.waitForJob((j) => j.room === room, { timeoutMs: 10_000 });
  return job.id;
}

describe('worker against the stand-in LiveKit server', () => {
  it('registers, serves health endpoints, and runs a job in a prewarmed process', async () => {
    const w = startWorker();
    const [registered] = await server.waitForWorkers(1);
    await until(() => w.registered, 5000, 'registration');
    expect(w.id).toBe(registered!.id);

    const health = await fetch(`http://127.0.0.1:${w.healthPort}/`);
    expect([health.status, await health.text()]).toEqual([200, 'OK']);

    const jobId = await roomJob('lobby');
    const marker = await entryReached(jobId);
    expect(marker).toMatchObject({ room: 'lobby', prewarmed: true });
    expect(marker.pid).not.toBe(process.pid);
    await server.waitForJobStatus(jobId, JobStatus.JS_RUNNING);

    const described = (await (await fetch(`http://127.0.0.1:${w.healthPort}/worker`)).json()) as {
      id: string;
      activeJobs: Array<{ id: string; room: string }>;
    };
    expect(described.id).toBe(w.id);
    expect(described.activeJobs).toEqual([
      expect.objectContaining({ id: jobId, room: 'lobby', participantIdentity: `agent-${jobId}` }),
    ]);
  });

  it('runs 20 concurrent room jobs, each reaching its entry', async () => {
    // 18 of the 20 jobs start cold processes at once: on a shared 2-core CI
    // machine their start-up can take longer than the default 10 s deadline.
    startWorker({ numIdleProcesses: 2, initializeProcessTimeoutMs: 60_000 });
    await server.waitForWorkers(1);
    const rooms = Array.from({ length: 20 }, (_, i) => `room-${i}`);
    for (const room of rooms) server.createRoom(room);
    const jobs = await Promise.all(
      rooms.map((room) => server.waitForJob((j) => j.room === room, { timeoutMs: 10_000 })),
    );
    const reached = await Promise.all(jobs.map((job) => entryReached(job.id, 60_000)));
    expect(reached.map((m) => m.room).sort()).toEqual([...rooms].sort());
    expect(new Set(reached.map((m) => m.pid)).size).toBe(20);
  }, 90_000);

  it('answers a rejection and a missing answer with available=false and the job id', async () => {
    startWorker({
      requestFnc: async (req: JobRequest) => {
        if (req.room?.name.startsWith('reject')) await req.reject();
        else if (req.room?.name.startsWith('silent')) return;
        else await req.accept();
      },
    });
    await server.waitForWorkers(1);
    for (const room of ['reject-1', 'silent-1']) {
      const jobId = await roomJob(room);
      await server.waitForMessage(
        (m) =>
          m.direction === 'from_worker' &&
          m.message?.message.case === 'availability' &&
          m.message.message.value.jobId === jobId &&
          !m.message.message.value.available,
        { timeoutMs: 5000 },
      );
      expect(existsSync(join(markers, jobId))).toBe(false);
    }
    // The worker keeps taking jobs after refusing some.
    await entryReached(await roomJob('accepted-1'));
  });

  it('gives up on an assignment that does not come, and keeps serving', async () => {
    const w = startWorker();
    const [info] = await server.waitForWorkers(1);
    server.stallWorker(info!.id);
    const stalled = await roomJob('never-assigned');
    await until(
      () => server.job(stalled)?.attempts.length === 1,
      5000,
      'the offer to reach the worker',
    );
    server.resumeWorker(info!.id);
    const next = await roomJob('after-stall');
    await entryReached(next);
    expect(existsSync(join(markers, stalled))).toBe(false);
    expect(w.registered).toBe(true);
  });

  it('reports failed jobs (throw, exit, SIGKILL, hung) and frees their slots', async () => {
    startWorker();
    await server.waitForWorkers(1);

    const thrown = await roomJob('throw-1');
    await entryReached(thrown);
    const failedThrow = await server.waitForJobStatus(thrown, JobStatus.JS_FAILED, {
      timeoutMs: 10_000,
    });
    expect(failedThrow.error).toMatch(/entry failed in throw-1/);

    const exited = await roomJob('exit-1');
    await entryReached(exited);
    await server.waitForJobStatus(exited, JobStatus.JS_FAILED, { timeoutMs: 10_000 });

    const killed = await roomJob('kill-1');
    const { pid } = await entryReached(killed);
    process.kill(pid, 'SIGKILL');
    await server.waitForJobStatus(killed, JobStatus.JS_FAILED, { timeoutMs: 10_000 });

    const hung = await roomJob('hang-1');
    const hungMarker = await entryReached(hung);
    const failedHung = await server.waitForJobStatus(hung, JobStatus.JS_FAILED, {
      timeoutMs: 10_000,
    });
    expect(failedHung.error).toMatch(/ping|unresponsive|pong/i);
    await until(() => !alive(hungMarker.pid), 5000, 'the hung process to be killed');

    const healthy = await roomJob('done-1');
    await entryReached(healthy);
    await server.waitForJobStatus(healthy, JobStatus.JS_SUCCESS, { timeoutMs: 10_000 });
  }, 60_000);

  it('survives a malformed frame without reconnecting', async () => {
    const w = startWorker();
    const [info] = await server.waitForWorkers(1);
    server.sendMalformedFrame(info!.id);
    const jobId = await roomJob('after-garbage');
    await entryReached(jobId);
    expect(w.id).toBe(info!.id);
  });

  it('re-registers after the server restarts, and running jobs survive', async () => {
    const w = startWorker();
    const [first] = await server.waitForWorkers(1);
    const jobId = await roomJob('long-call');
    const { pid } = await entryReached(jobId);

    await server.restart({ downtimeMs: 300 });
    const [second] = await server.waitForWorkers(1, { timeoutMs: 15_000 });
    expect(second!.id).not.toBe(first!.id);
    await until(() => w.registered && w.id === second!.id, 5000, 're-registration');
    expect(alive(pid)).toBe(true);
    expect(w.activeJobs.map((j) => j.job.id)).toEqual([jobId]);

    const after = await roomJob('after-restart');
    await entryReached(after);
  }, 30_000);

  it('drain reports full, waits for the running job to end, then stops', async () => {
    const w = startWorker();
    await server.waitForWorkers(1);
    const jobId = await roomJob('slow-1');
    await entryReached(jobId);
    const draining = w.drain(10_000);
    await until(
      () => server.workers()[0]?.status === WorkerStatus.WS_FULL,
      5000,
      'the worker to report full',
    );
    await draining;
    expect(w.activeJobs).toEqual([]);
    // The status update is on its way to the server when drain() returns.
    await server.waitForJobStatus(jobId, JobStatus.JS_SUCCESS);
    expect(existsSync(join(markers, `${jobId}.shutdown`))).toBe(true);
  });

  it('stops at once on rejected credentials, naming the variables to check', async () => {
    const w = startWorker({ apiSecret: 'not-the-secret' });
    await expect(running).rejects.toThrow(WorkerAuthError);
    await expect(running).rejects.toThrow(/LIVEKIT_API_KEY and LIVEKIT_API_SECRET/);
    expect(w.registered).toBe(false);
  });

  it('gives up after maxRetry attempts on an unreachable server', async () => {
    const port = server.port;
    await server.close();
    startWorker({ wsURL: `ws://127.0.0.1:${port}`, maxRetry: 2 });
    await expect(running).rejects.toThrow(/could not connect to LiveKit .* after 3 attempts/);
    server = await LiveKitStandIn.start();
  });
});

describe('agent CLI against the stand-in', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('connect --room asks for a job in that room and exits cleanly on SIGINT', async () => {
    child = spawn(
      process.execPath,
      [
        AGENT,
        'connect',
        '--room',
        'cli-room',
        '--url',
        server.url,
        '--api-key',
        server.apiKey,
        '--api-secret',
        server.apiSecret,
        '--log-level',
        'warn',
      ],
      { env: { ...process.env, AGENT_MARKERS: markers }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const job = await server.waitForJob((j) => j.room === 'cli-room' && j.simulated, {
      timeoutMs: 20_000,
    });
    const { pid } = await entryReached(job.id);
    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    await until(() => !alive(pid), 5000, 'the job process to exit with its worker');
  }, 40_000);

  it('dev restarts the worker when a file changes and brings the running job back', async () => {
    child = spawn(
      process.execPath,
      [
        AGENT,
        'dev',
        '--url',
        server.url,
        '--api-key',
        server.apiKey,
        '--api-secret',
        server.apiSecret,
        '--log-level',
        'warn',
      ],
      { env: { ...process.env, AGENT_MARKERS: markers }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const [first] = await server.waitForWorkers(1, { timeoutMs: 20_000 });
    const jobId = await roomJob('reload-room');
    const before = await entryReached(jobId);

    const trigger = join(dirname(AGENT), `reload-${process.pid}.json`);
    await writeFile(trigger, '{}');
    try {
      await server.waitUntil(
        () => server.workers().length === 1 && server.workers()[0]!.id !== first!.id,
        { timeoutMs: 20_000 },
      );
      // The new worker started the same job again, in a process of its own.
      await until(
        () => JSON.parse(readFileSync(join(markers, jobId), 'utf8')).pid !== before.pid,
        20_000,
        'the job to restart after the reload',
      );
      const after = await entryReached(jobId);
      expect(after.room).toBe('reload-room');
      await until(() => !alive(before.pid), 10_000, 'the old job process to exit');
    } finally {
      await unlink(trigger);
    }
    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 60_000);
});
