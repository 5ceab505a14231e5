// A job's life on the stand-in: the availability handshake, assignment and
// its token, status updates, termination, simulated jobs and disconnects
// (reference sections 2.7 to 2.11 and 4.3).
import { JobStatus, JobType, TrackSource } from '@livekit/protocol';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveKitStandIn, type LiveKitStandInOptions } from '../src/livekit/index.js';
import { seededRandom, TestWorker } from './fixtures/livekit/test-worker.js';

let server: LiveKitStandIn;
const workers: TestWorker[] = [];

async function start(options: LiveKitStandInOptions = {}): Promise<LiveKitStandIn> {
  server = await LiveKitStandIn.start(options);
  return server;
}

async function register(
  request: Parameters<typeof TestWorker.register>[1] = { type: JobType.JT_ROOM },
): Promise<TestWorker> {
  const { worker } = await TestWorker.register(server.url, request);
  workers.push(worker);
  return worker;
}

/** Accepts the next job offered to `worker`; resolves with its assignment. */
async function acceptNext(worker: TestWorker, identity = 'agent-1') {
  const request = await worker.next('availability');
  worker.send({
    case: 'availability',
    value: { jobId: request.job!.id, available: true, participantIdentity: identity },
  });
  return worker.next('assignment');
}

afterEach(async () => {
  for (const worker of workers.splice(0)) worker.close();
  await server?.close();
});

describe('assignment', () => {
  it('assigns an accepted job with a one-hour token carrying exactly the reference grants', async () => {
    await start();
    const worker = await register({
      type: JobType.JT_ROOM,
      agentName: 'helper',
      allowedPermissions: {
        canPublish: true,
        canSubscribe: true,
        canPublishData: false,
        canUpdateMetadata: false,
        canSubscribeMetrics: true,
        hidden: true,
        agent: true,
        canPublishSources: [TrackSource.MICROPHONE],
      },
    });
    server.createRoom('room', { agents: [{ agentName: 'helper' }] });
    const request = await worker.next('availability');
    worker.send({
      case: 'availability',
      value: {
        jobId: request.job!.id,
        available: true,
        participantIdentity: 'agent-helper',
        participantName: 'Helper',
        participantMetadata: '{"v":1}',
        participantAttributes: { mood: 'calm' },
      },
    });
    const assignment = await worker.next('assignment');
    expect(assignment.url).toBeUndefined();
    expect(assignment.job).toMatchObject({
      id: request.job!.id,
      state: {
        status: JobStatus.JS_RUNNING,
        participantIdentity: 'agent-helper',
        workerId: worker.workerId,
      },
    });

    const claims = await new TokenVerifier('devkey', 'secret').verify(assignment.token);
    expect(claims).toMatchObject({
      iss: 'devkey',
      sub: 'agent-helper',
      name: 'Helper',
      kind: 'agent',
      metadata: '{"v":1}',
      attributes: { mood: 'calm', 'lk.agent_name': 'helper' },
    });
    expect(claims.video).toEqual({
      roomJoin: true,
      agent: true,
      room: 'room',
      canSubscribe: true,
      canPublish: true,
      canPublishData: false,
      canUpdateOwnMetadata: false,
      canSubscribeMetrics: true,
      hidden: true,
    });
    expect(claims.exp! - claims.nbf!).toBe(3600);

    const job = await server.waitForJob((j) => j.id === request.job!.id && j.phase === 'assigned');
    expect(job).toMatchObject({ workerId: worker.workerId, token: assignment.token });
    expect(job.attempts).toEqual([{ workerId: worker.workerId, answer: 'accepted' }]);
    expect(server.workers()[0]!.runningJobs).toEqual([job.id]);
    // Filed under its dispatch, where ListDispatch shows it.
    expect(server.dispatches('room')[0]!.state!.jobs.map((j) => j.id)).toEqual([job.id]);
  });

  it('gives an agent that accepted without an identity the SDKs’ default, agent-<job id>', async () => {
    await start();
    const worker = await register();
    server.createRoom('room');
    const request = await worker.next('availability');
    worker.send({ case: 'availability', value: { jobId: request.job!.id, available: true } });
    const assignment = await worker.next('assignment');
    const identity = `agent-${request.job!.id}`;
    expect(assignment.job?.state?.participantIdentity).toBe(identity);
    expect((await new TokenVerifier('devkey', 'secret').verify(assignment.token)).sub).toBe(
      identity,
    );
  });

  it('offers a rejected job to the next worker', async () => {
    await start({ random: seededRandom(1) });
    const [a, b] = [await register(), await register()];
    server.createRoom('room');
    const first = await server.waitForMessage((m) => m.kind === 'availability');
    const [asked, other] = first.workerId === a.workerId ? [a, b] : [b, a];
    const request = await asked.next('availability');
    asked.send({ case: 'availability', value: { jobId: request.job!.id, available: false } });
    const retry = await other.next('availability');
    expect(retry.job?.id).toBe(request.job!.id);
    expect(retry.job?.state?.workerId).toBe(other.workerId);
    other.send({ case: 'availability', value: { jobId: retry.job!.id, available: true } });
    await other.next('assignment');
    const job = server.job(request.job!.id)!;
    expect(job.attempts).toEqual([
      { workerId: asked.workerId, answer: 'rejected' },
      { workerId: other.workerId, answer: 'accepted' },
    ]);
  });

  it('drops a job whose worker does not answer in time, as the real server does', async () => {
    await start({ availabilityTimeoutMs: 150, random: seededRandom(2) });
    const [a, b] = [await register(), await register()];
    server.createRoom('room');
    const job = await server.waitForJob((j) => j.phase === 'unassigned');
    expect(job.reason).toMatch(/no answer to the availability request within 150 ms/);
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts[0]!.answer).toBe('timeout');
    // A late answer for the expired job is ignored; the connection stays up.
    const silent = job.attempts[0]!.workerId === a.workerId ? a : b;
    silent.send({ case: 'availability', value: { jobId: job.id, available: true } });
    await silent.sync();
    await a.sync();
    await b.sync();
    expect(a.unread().length + b.unread().length).toBe(1); // the one unanswered request
  });

  it('with retryOnAvailabilityTimeout, offers a job nobody answered to the next worker', async () => {
    await start({ availabilityTimeoutMs: 150, retryOnAvailabilityTimeout: true });
    const [a, b] = [await register(), await register()];
    server.createRoom('room');
    const job = await server.waitForJob((j) => j.attempts.length === 2, { timeoutMs: 2000 });
    expect(job.attempts.map((x) => x.answer)).toEqual(['timeout', 'timeout']);
    expect(new Set(job.attempts.map((x) => x.workerId))).toEqual(new Set([a.workerId, b.workerId]));
    expect((await server.waitForJob((j) => j.id === job.id && j.phase !== 'offering')).phase).toBe(
      'unassigned',
    );
  });

  it('ends a job the worker answers with terminate: no assignment, no retry', async () => {
    await start();
    const [a, b] = [await register(), await register()];
    a.autoAnswer(() => ({ available: false, terminate: true }));
    b.autoAnswer(() => ({ available: false, terminate: true }));
    server.createRoom('room');
    const job = await server.waitForJob((j) => j.phase === 'abandoned');
    expect(job.status).toBe(JobStatus.JS_SUCCESS);
    expect(job.attempts).toHaveLength(1);
    expect(job.job.state!.endedAt).toBeGreaterThan(0n);
  });

  it('moves an offer on when the asked worker disconnects', async () => {
    await start();
    const [a, b] = [await register(), await register()];
    server.createRoom('room');
    const offer = await server.waitForMessage((m) => m.kind === 'availability');
    const [asked, other] = offer.workerId === a.workerId ? [a, b] : [b, a];
    asked.close();
    const retry = await other.next('availability');
    const job = server.job(retry.job!.id)!;
    expect(job.attempts).toEqual([{ workerId: asked.workerId, answer: 'worker_closed' }]);
  });
});

describe('job status and termination', () => {
  it('records status updates, ignoring unknown jobs and jobs already ended', async () => {
    await start();
    const worker = await register();
    server.createRoom('room');
    const { job } = await acceptNext(worker);
    const id = job!.id;
    worker.send({ case: 'updateJob', value: { jobId: 'AJ_unknown', status: JobStatus.JS_FAILED } });
    worker.send({ case: 'updateJob', value: { jobId: id, status: JobStatus.JS_RUNNING } });
    await worker.sync();
    expect(server.job(id)!.status).toBe(JobStatus.JS_RUNNING);

    worker.send({
      case: 'updateJob',
      value: { jobId: id, status: JobStatus.JS_FAILED, error: 'boom' },
    });
    const failed = await server.waitForJobStatus(id, JobStatus.JS_FAILED);
    expect(failed.error).toBe('boom');
    expect(failed.job.state!.endedAt).toBeGreaterThan(0n);
    expect(server.workers()[0]!.runningJobs).toEqual([]);

    worker.send({ case: 'updateJob', value: { jobId: id, status: JobStatus.JS_SUCCESS } });
    await worker.sync();
    expect(server.job(id)!.status).toBe(JobStatus.JS_FAILED);
  });

  it('terminates a job whose agent leaves the room, and those of a deleted room', async () => {
    await start();
    const worker = await register();
    server.createRoom('leaving');
    const first = await acceptNext(worker, 'agent-a');
    const agent = server.joinAgent(first.job!.id);
    expect(agent).toMatchObject({ identity: 'agent-a', attributes: { 'lk.agent_name': '' } });
    expect(server.rooms().find((r) => r.name === 'leaving')?.numParticipants).toBe(0);
    server.removeParticipant('leaving', 'agent-a');
    expect((await worker.next('termination')).jobId).toBe(first.job!.id);
    const ended = await server.waitForJobStatus(first.job!.id, JobStatus.JS_FAILED);
    expect(ended.error).toBe('agent worker left the room');

    server.createRoom('deleted');
    const second = await acceptNext(worker, 'agent-b');
    server.joinAgent(second.job!.id);
    server.deleteRoom('deleted');
    expect((await worker.next('termination')).jobId).toBe(second.job!.id);
  });

  it('terminates on request with JS_SUCCESS, once', async () => {
    await start();
    const worker = await register();
    server.createRoom('room');
    const { job } = await acceptNext(worker);
    expect(server.terminateJob(job!.id)).toBe(true);
    expect((await worker.next('termination')).jobId).toBe(job!.id);
    expect(server.job(job!.id)!.status).toBe(JobStatus.JS_SUCCESS);
    expect(server.terminateJob(job!.id)).toBe(false);
  });

  it('moves nothing when a worker drops mid-job: no re-dispatch, no termination later', async () => {
    await start();
    const a = await register();
    server.createRoom('room');
    const { job } = await acceptNext(a, 'agent-a');
    server.joinAgent(job!.id);
    const b = await register();
    a.close();
    await server.waitForWorkers(1);
    server.removeParticipant('room', 'agent-a');
    await b.sync();
    expect(b.unread()).toEqual([]);
    expect(server.job(job!.id)).toMatchObject({ phase: 'assigned', status: JobStatus.JS_RUNNING });
  });
});

describe('simulated jobs', () => {
  it('offers a simulated job to the asking worker only; its type follows the participant', async () => {
    await start();
    const worker = await register({ type: JobType.JT_ROOM, agentName: 'sim' });
    const bystander = await register({ type: JobType.JT_ROOM, agentName: 'sim' });
    worker.send({
      case: 'simulateJob',
      value: { type: JobType.JT_ROOM, room: { name: 'nowhere' }, participant: { identity: 'p' } },
    });
    const request = await worker.next('availability');
    expect(request.job).toMatchObject({
      type: JobType.JT_PUBLISHER,
      agentName: 'sim',
      room: { name: 'nowhere' },
      participant: { identity: 'p' },
    });
    worker.send({ case: 'availability', value: { jobId: request.job!.id, available: true } });
    await worker.next('assignment');
    expect(server.job(request.job!.id)).toMatchObject({ simulated: true, phase: 'assigned' });
    await bystander.sync();
    expect(bystander.unread()).toEqual([]);
  });

  it('drops the connection of a worker that simulates a job without a room', async () => {
    await start();
    const worker = await register();
    worker.send({ case: 'simulateJob', value: { type: JobType.JT_ROOM } });
    expect(await worker.closed).toBe(1006);
  });
});
