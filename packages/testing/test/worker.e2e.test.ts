import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type JobRequest, Worker, WorkerAuthError, type WorkerOptions } from '@agents/core';
import { Job, JobStatus, ServerMessage, WorkerStatus } from '@livekit/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scaledMs } from '../src/index.js';
import { type JobInfo, LiveKitStandIn } from '../src/livekit/index.js';
import { alive, gone, Markers } from './worker-helpers.js';

const AGENT = fileURLToPath(new URL('./fixtures/agents/scripted-agent.mjs', import.meta.url));
const BROKEN_AGENT = fileURLToPath(new URL('./fixtures/agents/broken-agent.mjs', import.meta.url));

let server: LiveKitStandIn;
let markers: Markers;
let workers: Array<{ worker: Worker; running: Promise<void> }> = [];
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);

beforeAll(async () => {
  markers = await Markers.create();
  process.env.AGENT_MARKERS = markers.dir;
  process.on('warning', onWarning);
});

afterAll(async () => {
  process.off('warning', onWarning);
  // No job process may survive its worker.
  await gone(markers.pids);
  await markers.close();
  expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
});

beforeEach(async () => {
  server = await LiveKitStandIn.start({ availabilityTimeoutMs: scaledMs(3000) });
});

afterEach(async () => {
  await Promise.all(workers.map(({ worker }) => worker.close()));
  await Promise.all(workers.map(({ running }) => running.catch(() => {})));
  workers = [];
  await server.close();
});

function startWorker(overrides: Partial<WorkerOptions> = {}): {
  worker: Worker;
  running: Promise<void>;
} {
  const worker = new Worker({
    agent: AGENT,
    wsURL: server.url,
    apiKey: server.apiKey,
    apiSecret: server.apiSecret,
    host: '127.0.0.1',
    port: 0,
    numIdleProcesses: 1,
    loadFnc: () => 0,
    jobPingIntervalMs: 500,
    shutdownProcessTimeoutMs: scaledMs(5000),
    assignmentTimeoutMs: scaledMs(5000),
    initializeProcessTimeoutMs: scaledMs(20_000),
    maxRetry: 5,
    ...overrides,
  });
  const started = { worker, running: worker.run() };
  workers.push(started);
  return started;
}

/** Creates a room (which dispatches a room job) and returns that job's id once offered. */
async function roomJob(room: string): Promise<string> {
  server.createRoom(room);
  const job = await server.waitForJob((j) => j.room === room);
  return job.id;
}

/** Every job of `rooms`, once each has been assigned or given up by the server. */
function settledJobs(rooms: string[]): Promise<JobInfo[]> {
  return server.waitUntil(
    () => {
      const jobs = server.jobs().filter((j) => rooms.includes(j.room));
      const settled = jobs.filter((j) => j.phase === 'assigned' || j.phase === 'unassigned');
      return settled.length === rooms.length ? settled : undefined;
    },
    { what: `${rooms.length} jobs assigned or refused` },
  );
}

function availabilityAnswers(jobId: string): boolean[] {
  return server
    .messages()
    .flatMap((m) =>
      m.direction === 'from_worker' &&
      m.message?.message.case === 'availability' &&
      m.message.message.value.jobId === jobId
        ? [m.message.message.value.available]
        : [],
    );
}

function statusesSent(jobId: string): JobStatus[] {
  return server
    .messages()
    .flatMap((m) =>
      m.direction === 'from_worker' &&
      m.message?.message.case === 'updateJob' &&
      m.message.message.value.jobId === jobId
        ? [m.message.message.value.status]
        : [],
    );
}

describe('worker against the stand-in LiveKit server', () => {
  it('registers, serves health endpoints, and runs a job in a prewarmed process', async () => {
    const { worker } = startWorker();
    const [registered] = await server.waitForWorkers(1);
    await server.waitUntil(() => worker.registered, { what: 'the worker to see its registration' });
    expect(worker.id).toBe(registered!.id);

    const health = await fetch(`http://127.0.0.1:${worker.healthPort}/`);
    expect([health.status, await health.text()]).toEqual([200, 'OK']);

    const jobId = await roomJob('lobby');
    const marker = await markers.entry(jobId);
    expect(marker).toMatchObject({ room: 'lobby', prewarmed: true });
    expect(marker.pid).not.toBe(process.pid);
    await server.waitForJobStatus(jobId, JobStatus.JS_RUNNING);

    const described = (await (
      await fetch(`http://127.0.0.1:${worker.healthPort}/worker`)
    ).json()) as { id: string; activeJobs: Array<{ id: string; room: string }> };
    expect(described.id).toBe(worker.id);
    expect(described.activeJobs).toEqual([
      expect.objectContaining({ id: jobId, room: 'lobby', participantIdentity: `agent-${jobId}` }),
    ]);
  });

  it('takes a burst up to maxJobs, refuses the rest at once, and starts every job it took', async () => {
    startWorker({ maxJobs: 4, numIdleProcesses: 0 });
    await server.waitForWorkers(1);
    const rooms = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    for (const room of rooms) server.createRoom(room);
    const jobs = await settledJobs(rooms);
    const assigned = jobs.filter((j) => j.phase === 'assigned');
    const refused = jobs.filter((j) => j.phase === 'unassigned');
    expect(assigned).toHaveLength(4);
    expect(refused).toHaveLength(8);
    // Refused by the worker's answer, not left to time out at the server.
    for (const job of refused) expect(availabilityAnswers(job.id)).toEqual([false]);
    const reached = await Promise.all(assigned.map((job) => markers.entry(job.id)));
    expect(new Set(reached.map((m) => m.pid)).size).toBe(4);
    for (const job of assigned) {
      await server.waitForJobStatus(job.id, JobStatus.JS_RUNNING);
      expect(statusesSent(job.id)).not.toContain(JobStatus.JS_FAILED);
    }
    // At capacity the worker says so to the server.
    await server.waitUntil(() => server.workers()[0]?.status === WorkerStatus.WS_FULL, {
      what: 'the worker to report full',
    });
  });

  it('shares a burst with a second worker: when one is full the server offers to the other', async () => {
    const small = startWorker({ maxJobs: 2, numIdleProcesses: 0 }).worker;
    const large = startWorker({ maxJobs: 8, numIdleProcesses: 0 }).worker;
    await server.waitForWorkers(2);
    const rooms = Array.from({ length: 8 }, (_, i) => `shared-${i}`);
    for (const room of rooms) server.createRoom(room);
    const jobs = await settledJobs(rooms);
    expect(jobs.every((j) => j.phase === 'assigned')).toBe(true);
    await Promise.all(jobs.map((job) => markers.entry(job.id)));
    const onSmall = jobs.filter((j) => j.workerId === small.id);
    const onLarge = jobs.filter((j) => j.workerId === large.id);
    expect(onSmall.length).toBeLessThanOrEqual(2);
    expect(onSmall.length + onLarge.length).toBe(8);
    // Each job the small worker could not take went on to the large one.
    for (const job of onLarge) {
      for (const attempt of job.attempts.slice(0, -1)) {
        expect(attempt).toMatchObject({ workerId: small.id, answer: 'rejected' });
      }
    }
  });

  it('answers a rejection, a missing answer and a slow requestFnc with available=false', async () => {
    startWorker({
      requestTimeoutMs: 300,
      requestFnc: async (req: JobRequest) => {
        const room = req.room?.name ?? '';
        if (room.startsWith('reject')) await req.reject();
        else if (room.startsWith('silent')) return;
        else if (room.startsWith('slow')) await new Promise(() => {});
        else await req.accept();
      },
    });
    await server.waitForWorkers(1);
    for (const room of ['reject-1', 'silent-1', 'slow-request-1']) {
      const jobId = await roomJob(room);
      await server.waitUntil(() => availabilityAnswers(jobId).length > 0, {
        what: `the answer for ${room}`,
      });
      expect(availabilityAnswers(jobId)).toEqual([false]);
    }
    // The worker keeps taking jobs after refusing some.
    await markers.entry(await roomJob('accepted-1'));
  });

  it('refuses a repeated offer of a pending or running job, and never reports it failed', async () => {
    startWorker();
    const [info] = await server.waitForWorkers(1);
    const jobId = await roomJob('dup-1');
    await markers.entry(jobId);
    await server.waitForJobStatus(jobId, JobStatus.JS_RUNNING);
    // A server that breaks the protocol offers the running job again.
    const job = new Job(server.job(jobId)!.job);
    const repeat = new ServerMessage({ message: { case: 'availability', value: { job } } });
    server.sendMalformedFrame(info!.id, repeat.toBinary());
    await server.waitUntil(() => availabilityAnswers(jobId).length === 2, {
      what: 'the answer to the repeated offer',
    });
    expect(availabilityAnswers(jobId)).toEqual([true, false]);
    server.terminateJob(jobId);
    await server.waitForJobStatus(jobId, JobStatus.JS_SUCCESS);
    expect(statusesSent(jobId)).not.toContain(JobStatus.JS_FAILED);
  });

  it('a job that ends itself in its room is reported a success before it leaves: not "agent worker left the room"', async () => {
    const { worker } = startWorker();
    await server.waitForWorkers(1);
    const jobId = await roomJob('leave-1');
    await markers.entry(jobId);
    // The server takes an agent leaving while its job runs for a failure; the status must come first.
    const ended = await server.waitForJob(
      (j) =>
        j.id === jobId && (j.status === JobStatus.JS_SUCCESS || j.status === JobStatus.JS_FAILED),
    );
    expect({ status: ended.status, error: ended.error }).toEqual({
      status: JobStatus.JS_SUCCESS,
      error: '',
    });
    expect(markers.has(`${jobId}.joined`)).toBe(true);
    await server.waitUntil(() => markers.has(`${jobId}.shutdown`), {
      what: 'its shutdown callback',
    });
    // Reported once: the process's exit after it does not repeat it.
    await server.waitUntil(() => worker.activeJobs.length === 0, {
      what: 'the job process to exit',
    });
    expect(statusesSent(jobId)).toEqual([JobStatus.JS_RUNNING, JobStatus.JS_SUCCESS]);
  });

  it('reports failed jobs (throw, exit, SIGKILL, hung) and frees their slots', async () => {
    startWorker({ jobPingIntervalMs: 200, jobPingTimeoutMs: scaledMs(3000) });
    await server.waitForWorkers(1);

    const thrown = await roomJob('throw-1');
    await markers.entry(thrown);
    const failedThrow = await server.waitForJobStatus(thrown, JobStatus.JS_FAILED);
    expect(failedThrow.error).toMatch(/entry failed in throw-1/);

    const exited = await roomJob('exit-1');
    await markers.entry(exited);
    await server.waitForJobStatus(exited, JobStatus.JS_FAILED);

    const killed = await roomJob('kill-1');
    const { pid } = await markers.entry(killed);
    process.kill(pid, 'SIGKILL');
    await server.waitForJobStatus(killed, JobStatus.JS_FAILED);

    const hung = await roomJob('hang-1');
    const hungMarker = await markers.entry(hung);
    const failedHung = await server.waitForJobStatus(hung, JobStatus.JS_FAILED);
    expect(failedHung.error).toMatch(/ping|unresponsive|pong/i);
    await gone([hungMarker.pid]);

    const healthy = await roomJob('done-1');
    await markers.entry(healthy);
    await server.waitForJobStatus(healthy, JobStatus.JS_SUCCESS);
  });

  it('survives a malformed frame without reconnecting', async () => {
    const { worker } = startWorker();
    const [info] = await server.waitForWorkers(1);
    server.sendMalformedFrame(info!.id);
    const jobId = await roomJob('after-garbage');
    await markers.entry(jobId);
    expect(worker.id).toBe(info!.id);
  });

  it('re-registers after the server restarts, and running jobs survive', async () => {
    const { worker } = startWorker();
    const [first] = await server.waitForWorkers(1);
    const jobId = await roomJob('long-call');
    const { pid } = await markers.entry(jobId);

    await server.restart({ downtimeMs: 300 });
    const [second] = await server.waitForWorkers(1);
    expect(second!.id).not.toBe(first!.id);
    await server.waitUntil(() => worker.registered && worker.id === second!.id, {
      what: 're-registration',
    });
    expect(alive(pid)).toBe(true);
    expect(worker.activeJobs.map((j) => j.job.id)).toEqual([jobId]);

    const after = await roomJob('after-restart');
    await markers.entry(after);
  });

  it('drain reports full, waits for the running job to end, then stops', async () => {
    const { worker } = startWorker();
    await server.waitForWorkers(1);
    const jobId = await roomJob('slow-1');
    await markers.entry(jobId);
    const draining = worker.drain(scaledMs(20_000));
    await server.waitUntil(() => server.workers()[0]?.status === WorkerStatus.WS_FULL, {
      what: 'the worker to report full',
    });
    await draining;
    expect(worker.activeJobs).toEqual([]);
    await server.waitForJobStatus(jobId, JobStatus.JS_SUCCESS);
    expect(markers.has(`${jobId}.shutdown`)).toBe(true);
  });

  it('close() ends running jobs while connected: the server hears their end and a clean close', async () => {
    const { worker } = startWorker();
    const [info] = await server.waitForWorkers(1);
    const jobId = await roomJob('closing-1');
    await markers.entry(jobId);
    await server.waitForJobStatus(jobId, JobStatus.JS_RUNNING);
    const disconnected = new Promise<string>((resolve) =>
      server.on('worker_disconnected', ({ worker: w, reason }) => {
        if (w.id === info!.id) resolve(reason);
      }),
    );
    await worker.close();
    expect(await disconnected).toMatch(/\(1000\)/);
    expect(server.job(jobId)?.status).toBe(JobStatus.JS_SUCCESS);
    expect(markers.has(`${jobId}.shutdown`)).toBe(true);
  });

  it('terminate() tells the server its running jobs failed before it goes', async () => {
    const { worker } = startWorker();
    await server.waitForWorkers(1);
    const jobId = await roomJob('terminated-1');
    await markers.entry(jobId);
    await server.waitForJobStatus(jobId, JobStatus.JS_RUNNING);
    await worker.terminate();
    const failed = await server.waitForJobStatus(jobId, JobStatus.JS_FAILED);
    expect(failed.error).toMatch(/stopped at once/);
  });

  it('reports itself full while the agent file cannot be loaded, and refuses jobs', async () => {
    startWorker({ agent: BROKEN_AGENT, numIdleProcesses: 1 });
    await server.waitForWorkers(1);
    await server.waitUntil(() => server.workers()[0]?.status === WorkerStatus.WS_FULL, {
      what: 'the worker to report full',
    });
    // The server skips a full worker; a job it offers anyway is refused, not failed.
    server.createRoom('broken-1');
    const [job] = await settledJobs(['broken-1']);
    expect(job!.phase).toBe('unassigned');
    expect(statusesSent(job!.id)).toEqual([]);
  });

  it('stops at once on rejected credentials, naming the variables to check', async () => {
    const { worker, running } = startWorker({ apiSecret: 'not-the-secret' });
    await expect(running).rejects.toThrow(WorkerAuthError);
    await expect(running).rejects.toThrow(/LIVEKIT_API_KEY and LIVEKIT_API_SECRET/);
    expect(worker.registered).toBe(false);
  });
});

describe('agent CLI against the stand-in', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('connect --room asks for one job in that room and exits cleanly on SIGINT', async () => {
    child = spawn(
      process.execPath,
      [AGENT, 'connect', '--room', 'cli-room', ...server.cliFlags, '--log-level', 'warn'],
      { env: { ...process.env, AGENT_MARKERS: markers.dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const job = await server.waitForJob((j) => j.room === 'cli-room' && j.simulated);
    const { pid } = await markers.entry(job.id);
    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    await gone([pid]);
    expect(server.jobs().filter((j) => j.room === 'cli-room')).toHaveLength(1);
  });

  it('connect --room joins once: the room its own join creates offers a second job, declined', async () => {
    child = spawn(
      process.execPath,
      [AGENT, 'connect', '--room', 'join-room', ...server.cliFlags, '--log-level', 'warn'],
      { env: { ...process.env, AGENT_MARKERS: markers.dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // The agent's join creates the room, whose automatic dispatch asks the worker again.
    const second = await server.waitForJob(
      (j) => j.room === 'join-room' && !j.simulated && j.phase !== 'offering',
    );
    expect(second.phase).toBe('unassigned');
    expect(second.attempts.map((a) => a.answer)).toEqual(['rejected']);
    const agents = server.participants('join-room');
    expect(agents).toHaveLength(1);
    const exited = new Promise<number | null>((resolve) =>
      child!.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
