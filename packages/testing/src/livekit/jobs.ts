import { type Logger, log } from '@agents/core';
import {
  AvailabilityRequest,
  type AvailabilityResponse,
  Job,
  JobAssignment,
  JobState,
  JobStatus,
  JobTermination,
  JobType,
  ServerMessage,
  type SimulateJobRequest,
  type UpdateJobStatus,
} from '@livekit/protocol';
import { newId, nowNanos } from './ids.js';
import { mintJobToken } from './job-token.js';
import type { DispatchTrigger } from './rooms.js';
import {
  type AvailabilityAnswer,
  nodeAffinity,
  pickWorker,
  type RegisteredWorker,
  type WorkerKey,
  type WorkerPool,
} from './worker-pool.js';

/**
 * Where a job is in its life on the server:
 * - `offering`: availability requests are out, one worker at a time;
 * - `assigned`: a worker accepted and got a `JobAssignment` (see `status` for how it runs);
 * - `abandoned`: the worker answered `terminate`, ending the job without running it;
 * - `unassigned`: no worker took it; the real server forgets such a job.
 */
export type JobPhase = 'offering' | 'assigned' | 'abandoned' | 'unassigned';

export interface JobAttempt {
  workerId: string;
  answer: AvailabilityAnswer['kind'];
}

export interface AgentParticipant {
  identity: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
}

/** A job as the stand-in saw it at its last change: a frozen copy, not to be modified. */
export interface JobInfo {
  id: string;
  type: JobType;
  room: string;
  dispatchId: string;
  agentName: string;
  namespace: string;
  /** Started by a worker's `SimulateJobRequest` rather than by a room. */
  simulated: boolean;
  phase: JobPhase;
  /** Why it is `unassigned`. */
  reason: string | undefined;
  /** The worker it was assigned to. */
  workerId: string | undefined;
  status: JobStatus;
  error: string;
  /** Each worker asked, in order, and its answer. */
  attempts: readonly JobAttempt[];
  /** The `JobAssignment` token, for checking its grants. */
  token: string | undefined;
  /** The agent participant the worker asked for when it accepted (what the token describes). */
  agent: AgentParticipant | undefined;
  /** The job as last sent to a worker, `state` included. */
  job: Job;
}

export interface JobDispatcherOptions {
  pool: WorkerPool;
  /** Deadline for an answer to a dispatched job's availability request. */
  availabilityTimeoutMs: number;
  /** Ask the next worker after a timeout instead of dropping the job. */
  retryOnAvailabilityTimeout: boolean;
  /** Deadline for an answer about a simulated job. */
  simulatedAvailabilityTimeoutMs: number;
  /** Load under which a worker counts towards this node claiming a job. */
  targetLoad: number;
  random: () => number;
  /** The secret of an API key: job tokens are signed with the key the worker connected with. */
  secretFor(apiKey: string): string;
  /** Records kept; past this the oldest finished ones are forgotten. */
  maxJobs: number;
  onAssigned(job: Job): void;
  onChange(job: JobInfo): void;
}

interface JobRecord {
  job: Job;
  simulated: boolean;
  phase: JobPhase;
  reason: string | undefined;
  workerId: string | undefined;
  attempts: JobAttempt[];
  token: string | undefined;
  agent: AgentParticipant | undefined;
  /** Taken at each change and shared by every reader until the next: waits poll often. */
  snapshot?: JobInfo;
}

const AGENT_LEFT_ROOM = 'agent worker left the room';

/**
 * Jobs from request to end: picks workers, runs the availability handshake,
 * assigns, records status updates and sends terminations, following the real
 * server's rules (see the reference, sections 2.6 to 2.11).
 */
export class JobDispatcher {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #options: JobDispatcherOptions;
  readonly #log: Logger;
  #closed = false;

  constructor(options: JobDispatcherOptions) {
    this.#options = options;
    this.#log = log().child({ component: 'livekit-stand-in' });
  }

  get(jobId: string): JobInfo | undefined {
    return this.#jobs.get(jobId)?.snapshot;
  }

  list(): JobInfo[] {
    return [...this.#jobs.values()].map((record) => record.snapshot!);
  }

  /**
   * A room event asks for jobs: one per namespace registered for the
   * dispatch's agent name and the trigger's job type. With no such worker
   * registered at all nothing is requested (the real server checks first);
   * nothing is queued for workers that register later.
   */
  dispatch(trigger: DispatchTrigger): void {
    const { dispatch, type } = trigger;
    const key = { agentName: dispatch.agentName, jobType: type, deployment: dispatch.deployment };
    const namespaces = this.#options.pool.namespacesFor(key);
    if (namespaces.length === 0) {
      this.#log.debug(
        { room: trigger.room.name, agentName: key.agentName, type: JobType[type] },
        'not dispatching agent job since no worker is available',
      );
      return;
    }
    for (const namespace of namespaces) {
      const job = new Job({
        id: newId('AJ_'),
        dispatchId: dispatch.id,
        type,
        room: trigger.room,
        participant: trigger.participant,
        namespace,
        agentName: dispatch.agentName,
        metadata: dispatch.metadata,
        deployment: dispatch.deployment,
        attributes: { ...dispatch.attributes },
      });
      const record = this.#remember(job, false);
      void this.#offer(record, { ...key, namespace });
    }
  }

  /**
   * A worker's own test job: it alone is asked, under the simulated-job
   * deadline. Its type follows from `participant` (the request's `type` is
   * ignored, as on the real server).
   */
  simulate(worker: RegisteredWorker, request: SimulateJobRequest): void {
    const job = new Job({
      id: newId('AJ_'),
      type: request.participant ? JobType.JT_PUBLISHER : JobType.JT_ROOM,
      room: request.room,
      participant: request.participant,
      namespace: worker.namespace,
      agentName: worker.agentName,
      deployment: worker.deployment,
    });
    void this.#offer(this.#remember(job, true), worker);
  }

  /** A worker's answer to an availability request; unknown or expired job ids are ignored. */
  answer(worker: RegisteredWorker, response: AvailabilityResponse): void {
    const settle = worker.offers.get(response.jobId);
    if (!settle) {
      this.#log.warn(
        { workerId: worker.id, jobId: response.jobId },
        'availability for an unknown job',
      );
      return;
    }
    if (response.terminate) settle({ kind: 'terminate' });
    else if (response.available) settle({ kind: 'accepted', response });
    else settle({ kind: 'rejected' });
  }

  /** `UpdateJobStatus`: only for a job running on this worker; others are ignored. */
  updateStatus(worker: RegisteredWorker, update: UpdateJobStatus): void {
    const record = this.#jobs.get(update.jobId);
    if (!record || !worker.runningJobs.has(update.jobId)) {
      this.#log.debug(
        { workerId: worker.id, jobId: update.jobId },
        'status for a job not running here',
      );
      return;
    }
    const state = record.job.state!;
    const now = nowNanos();
    state.updatedAt = now;
    if (state.status === JobStatus.JS_PENDING && update.status !== JobStatus.JS_PENDING) {
      state.startedAt = now;
    }
    state.status = update.status;
    state.error = update.error;
    if (update.status === JobStatus.JS_SUCCESS || update.status === JobStatus.JS_FAILED) {
      state.endedAt = now;
      worker.runningJobs.delete(update.jobId);
    }
    this.#changed(record);
  }

  /**
   * Ends a running job from the server side: sends `JobTermination` (without
   * waiting for any acknowledgement) and marks the job. False when the job is
   * not running on a connected worker, which is when the real server's
   * attempt fails too.
   */
  terminate(jobId: string, why: 'requested' | 'agent_left_room'): boolean {
    const record = this.#jobs.get(jobId);
    const worker = record?.workerId ? this.#options.pool.get(record.workerId) : undefined;
    if (!record || !worker?.runningJobs.has(jobId)) return false;
    worker.connection.send(
      new ServerMessage({ message: { case: 'termination', value: new JobTermination({ jobId }) } }),
    );
    worker.runningJobs.delete(jobId);
    const state = record.job.state!;
    state.status = why === 'requested' ? JobStatus.JS_SUCCESS : JobStatus.JS_FAILED;
    state.error = why === 'requested' ? '' : AGENT_LEFT_ROOM;
    state.endedAt = state.updatedAt = nowNanos();
    this.#changed(record);
    return true;
  }

  /** A participant left a room: the jobs whose agent it was are over. */
  agentLeft(roomName: string, identity: string): void {
    for (const [jobId, record] of this.#jobs) {
      if (
        record.phase === 'assigned' &&
        record.job.room?.name === roomName &&
        record.job.state?.participantIdentity === identity
      ) {
        this.terminate(jobId, 'agent_left_room');
      }
    }
  }

  /** Assigned jobs of a dispatch, for ending them when it is deleted. */
  jobsOfDispatch(dispatchId: string): JobInfo[] {
    return this.list().filter((j) => j.dispatchId === dispatchId && j.phase === 'assigned');
  }

  /** A worker's connection ended: its pending offers fail over to other workers. Its jobs are not moved. */
  workerGone(worker: RegisteredWorker): void {
    for (const settle of [...worker.offers.values()]) settle({ kind: 'worker_closed' });
  }

  clear(): void {
    this.#jobs.clear();
  }

  /** Stops offering: loops still waiting end at their next step. */
  close(): void {
    this.#closed = true;
  }

  /**
   * Offers the job to one worker after another until one accepts. `target` is
   * the key to choose workers by, or the single worker of a simulated job.
   */
  async #offer(record: JobRecord, target: WorkerKey | RegisteredWorker): Promise<void> {
    const single = 'connection' in target ? target : undefined;
    if (
      !single &&
      nodeAffinity(this.#options.pool.matching(target), this.#options.targetLoad) <= 0
    ) {
      this.#unassigned(record, 'no servers available (every worker at or above the target load)');
      return;
    }
    const tried = new Set<string>();
    // Choice among the workers of the key as they are now (loads change between attempts).
    const next = (): RegisteredWorker | undefined => {
      if (single) return tried.size === 0 && !single.connection.closed ? single : undefined;
      return pickWorker(this.#options.pool.matching(target), tried, this.#options.random);
    };
    while (!this.#closed) {
      const worker = next();
      if (!worker) {
        this.#unassigned(
          record,
          tried.size ? 'no workers with sufficient capacity' : 'no workers available',
        );
        return;
      }
      tried.add(worker.id);
      const timeoutMs = single
        ? this.#options.simulatedAvailabilityTimeoutMs
        : this.#options.availabilityTimeoutMs;
      const answer = await this.#ask(worker, record, timeoutMs);
      record.attempts.push({ workerId: worker.id, answer: answer.kind });
      switch (answer.kind) {
        case 'accepted':
          await this.#assign(worker, record, answer.response);
          return;
        case 'terminate': {
          const state = record.job.state!;
          state.status = JobStatus.JS_SUCCESS;
          state.endedAt = state.updatedAt = nowNanos();
          record.phase = 'abandoned';
          this.#changed(record);
          return;
        }
        case 'timeout':
          if (single || !this.#options.retryOnAvailabilityTimeout) {
            this.#unassigned(
              record,
              `no answer to the availability request within ${timeoutMs} ms`,
            );
            return;
          }
          break;
        case 'rejected':
        case 'worker_closed':
          break;
      }
      this.#changed(record);
    }
    this.#unassigned(record, 'server closed');
  }

  /** One availability request, settled by the answer, the deadline or the worker leaving. */
  #ask(
    worker: RegisteredWorker,
    record: JobRecord,
    timeoutMs: number,
  ): Promise<AvailabilityAnswer> {
    const now = nowNanos();
    record.job.state = new JobState({
      status: JobStatus.JS_RUNNING,
      workerId: worker.id,
      startedAt: now,
      updatedAt: now,
    });
    return new Promise((resolve) => {
      const jobId = record.job.id;
      const settle = (answer: AvailabilityAnswer) => {
        clearTimeout(timer);
        worker.offers.delete(jobId);
        resolve(answer);
      };
      const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
      worker.offers.set(jobId, settle);
      const request = new AvailabilityRequest({ job: record.job.clone(), resuming: false });
      const sent = worker.connection.send(
        new ServerMessage({ message: { case: 'availability', value: request } }),
      );
      if (!sent) settle({ kind: 'worker_closed' });
    });
  }

  async #assign(
    worker: RegisteredWorker,
    record: JobRecord,
    response: AvailabilityResponse,
  ): Promise<void> {
    // The real server would sign an empty identity, giving a token no room accepts; the
    // stand-in uses the SDKs' default instead, in the token and in the job state alike.
    const identity = response.participantIdentity || `agent-${record.job.id}`;
    const state = record.job.state!;
    state.participantIdentity = identity;
    state.updatedAt = nowNanos();
    let token: string;
    try {
      token = await mintJobToken({
        apiKey: worker.connection.apiKey,
        apiSecret: this.#options.secretFor(worker.connection.apiKey),
        job: record.job,
        answer: response,
        identity,
        agentName: worker.agentName,
        permissions: worker.permissions,
      });
    } catch (error) {
      this.#unassigned(record, `could not build the job token: ${String(error)}`);
      return;
    }
    if (worker.connection.closed) {
      this.#unassigned(record, 'worker closed before the assignment');
      return;
    }
    // Running before the assignment goes out, so a status update right after it is accepted.
    worker.runningJobs.add(record.job.id);
    record.phase = 'assigned';
    record.workerId = worker.id;
    record.token = token;
    record.agent = {
      identity,
      name: response.participantName,
      metadata: response.participantMetadata,
      attributes: { ...response.participantAttributes },
    };
    worker.connection.send(
      new ServerMessage({
        message: {
          case: 'assignment',
          value: new JobAssignment({ job: record.job.clone(), token }),
        },
      }),
    );
    this.#options.onAssigned(record.job.clone());
    this.#changed(record);
  }

  #unassigned(record: JobRecord, reason: string): void {
    this.#log.info(
      { jobId: record.job.id, room: record.job.room?.name, reason },
      'job not assigned',
    );
    record.job.state ??= new JobState();
    const state = record.job.state;
    state.status = JobStatus.JS_FAILED;
    state.error = reason;
    state.endedAt = state.updatedAt = nowNanos();
    record.phase = 'unassigned';
    record.reason = reason;
    this.#changed(record);
  }

  #remember(job: Job, simulated: boolean): JobRecord {
    if (this.#jobs.size >= this.#options.maxJobs) {
      for (const [id, old] of this.#jobs) {
        if (old.phase !== 'offering' && !(old.phase === 'assigned' && !old.job.state?.endedAt)) {
          this.#jobs.delete(id);
          break;
        }
      }
    }
    const record: JobRecord = {
      job,
      simulated,
      phase: 'offering',
      reason: undefined,
      workerId: undefined,
      attempts: [],
      token: undefined,
      agent: undefined,
    };
    this.#jobs.set(job.id, record);
    this.#changed(record);
    return record;
  }

  #changed(record: JobRecord): void {
    record.snapshot = snapshot(record);
    this.#options.onChange(record.snapshot);
  }
}

/** A frozen copy of the record: one object serves every reader until the job changes. */
function snapshot(record: JobRecord): JobInfo {
  const { job } = record;
  return Object.freeze({
    id: job.id,
    type: job.type,
    room: job.room?.name ?? '',
    dispatchId: job.dispatchId,
    agentName: job.agentName,
    namespace: job.namespace,
    simulated: record.simulated,
    phase: record.phase,
    reason: record.reason,
    workerId: record.workerId,
    status: job.state?.status ?? JobStatus.JS_PENDING,
    error: job.state?.error ?? '',
    attempts: record.attempts.map((a) => ({ ...a })),
    token: record.token,
    agent: record.agent && { ...record.agent, attributes: { ...record.agent.attributes } },
    job: job.clone(),
  });
}
