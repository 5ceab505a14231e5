import { createRequire } from 'node:module';
import {
  AvailabilityResponse,
  type Job,
  type JobAssignment,
  JobStatus,
  JobType,
  ParticipantPermission,
  RegisterWorkerRequest,
  type ServerInfo,
  ServerMessage,
  SimulateJobRequest,
  UpdateJobStatus,
  UpdateWorkerStatus,
  WorkerMessage,
  WorkerStatus,
} from '@livekit/protocol';
import type WebSocket from 'ws';
import { ProcPool, type RunningJobInfo } from '../job/index.js';
import { type Logger, log, redactUrl } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import { Future } from '../utils/future.js';
import { retryDelay } from '../utils/retry.js';
import { sleep } from '../utils/sleep.js';
import { HealthServer } from './health-server.js';
import { type JobAnswer, JobRequest } from './job-request.js';
import { createCpuLoadFnc } from './load.js';
import {
  agentURL,
  httpURL,
  type ResolvedWorkerOptions,
  resolveWorkerOptions,
  type WorkerOptions,
} from './options.js';

const { version: VERSION } = createRequire(import.meta.url)('../../package.json') as {
  version: string;
};

// The worker's network libraries are loaded when the worker connects, not at
// import: job processes import this package too, and would carry them idle
// (about 20 MB of resident memory each).
const loadServerSdk = () => import('livekit-server-sdk');
const loadWebSocket = async () => (await import('ws')).default;
const WS_OPEN = 1;
const WS_CLOSED = 3;

/** The server must answer the registration within this (it gives us 10 s as well). */
const REGISTER_TIMEOUT_MS = 10_000;
/** Load and status are reported this often. */
const STATUS_INTERVAL_MS = 2500;
/** We ping the server this often; no pong by the next ping means the link is dead. */
const HEARTBEAT_INTERVAL_MS = 15_000;
/** A `requestFnc` that has not answered by then is taken as a rejection. */
const ANSWER_TIMEOUT_MS = 10_000;
/** Messages kept for the server while disconnected (job status updates); oldest dropped first. */
const MAX_PENDING_MESSAGES = 128;
/** Backoff between reconnection attempts: from 500 ms, doubling, at most 10 s. */
const RECONNECT_BASE_MS = 500;
const RECONNECT_MAX_MS = 10_000;

export interface WorkerEvents {
  worker_registered: { workerId: string; serverInfo: ServerInfo | undefined };
}

/** The server refused the worker's credentials: retrying cannot help. */
export class WorkerAuthError extends Error {
  override name = 'WorkerAuthError';
}

/**
 * Turns an agent file into a service: connects to the LiveKit server's agent
 * endpoint, registers, is offered jobs, accepts them through `requestFnc`, and
 * runs each accepted job in a process of its own. Reconnects with backoff
 * when the connection drops; running jobs keep running meanwhile.
 */
export class Worker extends TypedEventEmitter<WorkerEvents> {
  readonly options: ResolvedWorkerOptions;
  readonly #log: Logger;
  readonly #health: HealthServer;
  readonly #stop = new AbortController();
  readonly #assignments = new Map<string, Future<JobAssignment>>();
  readonly #pending: WorkerMessage[] = [];
  #pool: ProcPool | undefined;
  #loadFnc: () => number | Promise<number> = () => 0;
  readonly #poolReady = new Future<ProcPool>();
  #ws: WebSocket | undefined;
  #workerId = '';
  #registered = false;
  #draining = false;
  #full = false;
  #load = 0;
  #running = false;
  #closing: Promise<void> | undefined;
  #healthPort = 0;

  constructor(options: WorkerOptions) {
    super();
    this.options = resolveWorkerOptions(options);
    this.#log = log().child({ agentName: this.options.agentName || undefined });
    this.#health = new HealthServer({
      healthy: () => this.#registered && !this.#stop.signal.aborted,
      describe: () => this.describe(),
    });
  }

  /** The id the server gave this worker; '' until registered (new on every reconnection). */
  get id(): string {
    return this.#workerId;
  }

  get registered(): boolean {
    return this.#registered;
  }

  /** Port of the health server (useful when it was started on port 0). */
  get healthPort(): number {
    return this.#healthPort;
  }

  /** The jobs running now. */
  get activeJobs(): RunningJobInfo[] {
    return this.#pool?.activeJobs ?? [];
  }

  /**
   * Starts jobs again in their rooms, under the same identities, with tokens
   * minted here (no server round trip): `dev` uses it to carry running jobs
   * over a restart of the worker.
   */
  async reloadJobs(
    jobs: ReadonlyArray<Pick<RunningJobInfo, 'job' | 'acceptArguments'>>,
  ): Promise<void> {
    const pool = await this.#poolReady.promise;
    const { AccessToken } = await loadServerSdk();
    for (const { job, acceptArguments } of jobs) {
      const token = new AccessToken(this.options.apiKey, this.options.apiSecret, {
        identity: acceptArguments.identity,
        name: acceptArguments.name,
        metadata: acceptArguments.metadata,
        attributes: acceptArguments.attributes,
      });
      token.addGrant({ roomJoin: true, room: job.room?.name, agent: true });
      this.#log.info({ jobId: job.id, room: job.room?.name }, 'restarting a job after reload');
      await pool.launchJob({
        job,
        url: this.options.wsURL,
        token: await token.toJwt(),
        acceptArguments,
        workerId: this.#workerId,
      });
    }
  }

  /** What `GET /worker` reports. */
  describe(): Record<string, unknown> {
    return {
      id: this.#workerId,
      agentName: this.options.agentName,
      status: this.#draining ? 'draining' : this.#full ? 'full' : 'available',
      registered: this.#registered,
      load: this.#load,
      activeJobs: (this.#pool?.activeJobs ?? []).map((info) => ({
        id: info.job.id,
        room: info.job.room?.name,
        participantIdentity: info.acceptArguments.identity,
      })),
    };
  }

  /**
   * Starts the health server and the job process pool, then connects and
   * serves until `close()`. Rejects if the server cannot be reached after
   * `maxRetry` attempts, or refuses the credentials.
   */
  async run(): Promise<void> {
    if (this.#running) throw new Error('Worker.run() was already called');
    this.#running = true;
    this.#log.info(
      { version: VERSION, url: redactUrl(this.options.wsURL), agent: this.options.agent },
      'starting worker',
    );
    try {
      const address = await this.#health.listen(this.options.host, this.options.port);
      this.#healthPort = address.port;
      this.#pool = new ProcPool({
        agentFile: this.options.agent,
        numIdleProcesses: this.options.numIdleProcesses,
        initializeTimeoutMs: this.options.initializeProcessTimeoutMs,
        shutdownTimeoutMs: this.options.shutdownProcessTimeoutMs,
        pingIntervalMs: this.options.jobPingIntervalMs,
        pingTimeoutMs: this.options.jobPingTimeoutMs,
        memoryWarnMB: this.options.jobMemoryWarnMB,
        memoryLimitMB: this.options.jobMemoryLimitMB,
      });
      this.#pool.on('job_started', ({ jobId }) => this.#reportJob(jobId, JobStatus.JS_RUNNING));
      this.#pool.on('job_exited', ({ jobId, status, error }) =>
        this.#reportJob(
          jobId,
          status === 'success' ? JobStatus.JS_SUCCESS : JobStatus.JS_FAILED,
          error,
        ),
      );
      await this.#pool.start();
      this.#poolReady.resolve(this.#pool);
      // Created now, so that the first window it measures is not the worker's own start-up.
      this.#loadFnc = this.options.loadFnc ?? createCpuLoadFnc();
      await this.#connectLoop();
    } finally {
      await this.close();
    }
  }

  /**
   * Stops taking jobs (reports itself full and rejects offers), waits up to
   * `timeoutMs` for running jobs to end, then shuts the rest down.
   */
  async drain(timeoutMs = this.options.drainTimeoutMs): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      this.#log.info({ timeoutMs, activeJobs: this.#pool?.activeJobs.length ?? 0 }, 'draining');
      await this.#reportStatus();
    }
    await this.#pool?.drain(timeoutMs);
  }

  /** Ends everything: the connection, every job process (within its deadline), the health server. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /**
   * Ends now, for a second Ctrl-C: kills every job process at once, tells the
   * server which jobs failed (as far as the connection allows, within about a
   * second), and drops the connection. Prefer `close()`.
   */
  terminate(): Promise<void> {
    return this.close();
  }

  /**
   * Asks the server for a job in `room` (created if needed), as if a user had
   * joined; with an identity, a publisher job for that participant.
   */
  async simulateJob(room: string, participantIdentity?: string): Promise<void> {
    const { RoomServiceClient } = await loadServerSdk();
    const rooms = new RoomServiceClient(
      httpURL(this.options.wsURL),
      this.options.apiKey,
      this.options.apiSecret,
    );
    const roomInfo = await rooms.createRoom({ name: room });
    const participant = participantIdentity
      ? await rooms.getParticipant(room, participantIdentity)
      : undefined;
    this.#send(
      new WorkerMessage({
        message: {
          case: 'simulateJob',
          value: new SimulateJobRequest({
            type: participant ? JobType.JT_PUBLISHER : JobType.JT_ROOM,
            room: roomInfo,
            participant,
          }),
        },
      }),
      { queue: true },
    );
  }

  async #connectLoop(): Promise<void> {
    const url = agentURL(this.options.wsURL);
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      let registered = false;
      try {
        await this.#connectOnce(url, () => {
          registered = true;
          failures = 0;
        });
        return;
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        if (error instanceof WorkerAuthError) throw error;
        failures = registered ? 1 : failures + 1;
        const reason = errorMessage(error);
        if (failures > this.options.maxRetry) {
          throw new Error(
            `could not connect to LiveKit at ${redactUrl(url)} after ${failures} attempts: ${reason}`,
          );
        }
        const delayMs = retryDelay(failures, error, {
          retryIntervalMs: RECONNECT_BASE_MS,
          maxIntervalMs: RECONNECT_MAX_MS,
        });
        this.#log.warn(
          {
            attempt: failures,
            maxRetry: this.options.maxRetry,
            delayMs: Math.round(delayMs),
            reason,
          },
          registered ? 'connection to LiveKit lost; reconnecting' : 'could not connect; retrying',
        );
        try {
          await sleep(delayMs, this.#stop.signal);
        } catch {
          return;
        }
      }
    }
  }

  /**
   * One connection: open, register, serve. Resolves when we close it; throws
   * when it fails or the server drops it.
   */
  async #connectOnce(url: string, onRegistered: () => void): Promise<void> {
    const [{ AccessToken }, WebSocket] = await Promise.all([loadServerSdk(), loadWebSocket()]);
    const token = new AccessToken(this.options.apiKey, this.options.apiSecret);
    token.addGrant({ agent: true });
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${await token.toJwt()}` },
      handshakeTimeout: REGISTER_TIMEOUT_MS,
    });
    const closed = new Future<{ code: number; reason: string }>();
    const opened = new Future<void>();
    const registration = new Future<ServerMessage>();
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      const error =
        status === 401 || status === 403
          ? new WorkerAuthError(
              `LiveKit refused the worker's credentials (HTTP ${status}): check LIVEKIT_API_KEY ` +
                'and LIVEKIT_API_SECRET (--api-key, --api-secret)',
            )
          : new Error(`LiveKit answered HTTP ${status} instead of a websocket`);
      opened.reject(error);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => opened.resolve());
    ws.on('error', (error) => {
      opened.reject(error);
      registration.reject(error);
    });
    ws.on('close', (code, reason) => {
      opened.reject(new Error(`connection closed (${code})`));
      registration.reject(new Error(`connection closed before registration (${code})`));
      closed.resolve({ code, reason: reason.toString() });
    });
    ws.on('message', (data, isBinary) => {
      const message = this.#decode(data, isBinary);
      if (!message) return;
      if (!this.#registered && registration.resolve(message)) return;
      this.#handle(message);
    });
    const abandon = () => ws.terminate();
    this.#stop.signal.addEventListener('abort', abandon, { once: true });

    let heartbeat: NodeJS.Timeout | undefined;
    let statusTimer: NodeJS.Timeout | undefined;
    try {
      await opened.promise;
      ws.send(this.#registerMessage().toBinary());
      const first = await withDeadline(
        registration.promise,
        REGISTER_TIMEOUT_MS,
        'the server did not answer the registration',
      );
      if (first.message.case !== 'register') {
        throw new Error(
          `expected the register response first, got ${first.message.case ?? 'nothing'}`,
        );
      }
      this.#ws = ws;
      this.#workerId = first.message.value.workerId;
      this.#registered = true;
      onRegistered();
      this.#log.info({ workerId: this.#workerId, url: redactUrl(url) }, 'registered worker');
      this.emit('worker_registered', {
        workerId: this.#workerId,
        serverInfo: first.message.value.serverInfo,
      });
      this.#flushPending();
      await this.#reportStatus();
      statusTimer = setInterval(() => void this.#reportStatus(), STATUS_INTERVAL_MS);
      heartbeat = keepAlive(ws);

      const { code, reason } = await closed.promise;
      if (this.#stop.signal.aborted) return;
      throw new Error(`the server closed the connection (${code}${reason ? `: ${reason}` : ''})`);
    } finally {
      clearInterval(statusTimer);
      clearInterval(heartbeat);
      this.#stop.signal.removeEventListener('abort', abandon);
      this.#registered = false;
      this.#ws = undefined;
      if (ws.readyState !== WS_CLOSED) ws.terminate();
    }
  }

  #registerMessage(): WorkerMessage {
    const p = this.options.permissions;
    return new WorkerMessage({
      message: {
        case: 'register',
        value: new RegisterWorkerRequest({
          type: this.options.workerType === 'publisher' ? JobType.JT_PUBLISHER : JobType.JT_ROOM,
          agentName: this.options.agentName,
          version: VERSION,
          namespace: this.options.namespace,
          allowedPermissions: new ParticipantPermission({
            canPublish: p.canPublish,
            canSubscribe: p.canSubscribe,
            canPublishData: p.canPublishData,
            canUpdateMetadata: p.canUpdateMetadata,
            canPublishSources: p.canPublishSources,
            hidden: p.hidden,
            agent: true,
          }),
        }),
      },
    });
  }

  /** A server frame as a message, or undefined (logged) if it is not one: a bad frame never kills the link. */
  #decode(data: WebSocket.RawData, isBinary: boolean): ServerMessage | undefined {
    if (!isBinary) {
      this.#log.warn('ignoring a text frame from the server');
      return undefined;
    }
    try {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      return ServerMessage.fromBinary(bytes);
    } catch (error) {
      this.#log.warn({ err: error }, 'ignoring a malformed frame from the server');
      return undefined;
    }
  }

  #handle(message: ServerMessage): void {
    const { case: kind, value } = message.message;
    switch (kind) {
      case 'availability':
        if (value.job) void this.#answerAvailability(value.job);
        break;
      case 'assignment': {
        const jobId = value.job?.id ?? '';
        const waiting = this.#assignments.get(jobId);
        if (waiting) waiting.resolve(value);
        else this.#log.warn({ jobId }, 'assignment for a job this worker is not waiting for');
        break;
      }
      case 'termination':
        this.#log.info({ jobId: value.jobId }, 'the server terminated a job');
        void this.#pool?.shutdownJob(value.jobId, 'terminated by the server');
        break;
      case 'pong':
        break;
      case 'register':
        this.#log.warn('ignoring a second register response');
        break;
      default:
        this.#log.warn('ignoring a server message of an unknown kind');
    }
  }

  /** Asks `requestFnc`, answers the server, and starts the job once assigned. Never throws. */
  async #answerAvailability(job: Job): Promise<void> {
    const logger = this.#log.child({ jobId: job.id, room: job.room?.name });
    const answer = await this.#askRequestFnc(job, logger);
    if (!answer.accepted) {
      this.#sendAvailability(new AvailabilityResponse({ jobId: job.id, available: false }));
      return;
    }
    const assignment = new Future<JobAssignment>();
    this.#assignments.set(job.id, assignment);
    try {
      this.#sendAvailability(
        new AvailabilityResponse({
          jobId: job.id,
          available: true,
          participantIdentity: answer.identity,
          participantName: answer.name,
          participantMetadata: answer.metadata,
          participantAttributes: answer.attributes,
        }),
      );
      const assigned = await withDeadline(
        assignment.promise,
        this.options.assignmentTimeoutMs,
        `no assignment within ${this.options.assignmentTimeoutMs} ms`,
        this.#stop.signal,
      );
      logger.info('job assigned; starting it');
      await this.#pool?.launchJob({
        job: assigned.job ?? job,
        url: assigned.url || this.options.wsURL,
        token: assigned.token,
        acceptArguments: {
          identity: answer.identity,
          name: answer.name,
          metadata: answer.metadata,
          attributes: answer.attributes,
        },
        workerId: this.#workerId,
      });
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      logger.error({ err: error }, 'could not start the job');
      const reason = errorMessage(error);
      this.#reportJob(job.id, JobStatus.JS_FAILED, `could not start the job: ${reason}`);
    } finally {
      this.#assignments.delete(job.id);
    }
  }

  async #askRequestFnc(job: Job, logger: Logger): Promise<JobAnswer> {
    if (this.#draining || this.#stop.signal.aborted) return { accepted: false };
    const answered = new Future<JobAnswer>();
    const request = new JobRequest(job, (answer) => answered.resolve(answer));
    const userCode = Promise.resolve()
      .then(() => this.options.requestFnc(request))
      .catch((error: unknown) => logger.error({ err: error }, 'requestFnc failed; rejecting'));
    // Whichever comes first: an answer, requestFnc returning without one, the deadline.
    const answer = await withDeadline(
      Promise.race([answered.promise, userCode.then(() => undefined)]),
      ANSWER_TIMEOUT_MS,
      'requestFnc did not answer',
      this.#stop.signal,
    ).catch(() => undefined);
    if (answer) return answer;
    if (!request.answered) {
      logger.warn('requestFnc did not accept or reject the job; rejecting it');
      await request.reject();
    }
    return answered.promise;
  }

  #sendAvailability(response: AvailabilityResponse): void {
    this.#send(new WorkerMessage({ message: { case: 'availability', value: response } }));
  }

  #reportJob(jobId: string, status: JobStatus, error?: string): void {
    this.#send(
      new WorkerMessage({
        message: {
          case: 'updateJob',
          value: new UpdateJobStatus({ jobId, status, error: error ?? '' }),
        },
      }),
      { queue: true },
    );
  }

  async #reportStatus(): Promise<void> {
    let load = 0;
    try {
      load = await this.#loadFnc();
    } catch (error) {
      this.#log.error({ err: error }, 'loadFnc failed; reporting load 0');
    }
    this.#load = load;
    const full = this.#draining || load >= this.options.loadThreshold;
    if (full !== this.#full && !this.#draining) {
      this.#log.info(
        { load },
        full
          ? 'worker is full; marking it unavailable'
          : 'worker has capacity; marking it available',
      );
    }
    this.#full = full;
    this.#send(
      new WorkerMessage({
        message: {
          case: 'updateWorker',
          value: new UpdateWorkerStatus({
            status: full ? WorkerStatus.WS_FULL : WorkerStatus.WS_AVAILABLE,
            load,
            jobCount: this.#pool?.activeJobs.length ?? 0,
          }),
        },
      }),
    );
  }

  /**
   * Sends now if registered. Otherwise messages marked `queue` (job status,
   * simulate requests) wait for the next registration; the rest are dropped.
   */
  #send(message: WorkerMessage, { queue = false } = {}): void {
    if (this.#ws && this.#registered && this.#ws.readyState === WS_OPEN) {
      this.#ws.send(message.toBinary());
      return;
    }
    if (!queue) return;
    if (this.#pending.length >= MAX_PENDING_MESSAGES) {
      this.#pending.shift();
      this.#log.warn('too many messages waiting for the connection; dropped the oldest');
    }
    this.#pending.push(message);
  }

  #flushPending(): void {
    for (const message of this.#pending.splice(0)) this.#send(message, { queue: true });
  }

  async #shutdown(): Promise<void> {
    this.#stop.abort();
    this.#poolReady.reject(new Error('worker closed'));
    for (const waiting of this.#assignments.values()) waiting.reject(new Error('worker closing'));
    const ws = this.#ws;
    if (ws && ws.readyState === WS_OPEN) ws.close(1000, 'worker closing');
    await this.#pool?.close();
    await this.#health.close();
    this.#log.info('worker closed');
  }
}

/** Pings the server; a missing pong by the next ping means a dead link, which is cut. */
function keepAlive(ws: WebSocket): NodeJS.Timeout {
  let alive = true;
  ws.on('pong', () => {
    alive = true;
  });
  return setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, HEARTBEAT_INTERVAL_MS);
}
