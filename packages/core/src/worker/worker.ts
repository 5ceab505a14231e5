import { createRequire } from 'node:module';
import type { ServerInfo, ServerMessage, WorkerMessage } from '@livekit/protocol';
import { ProcPool, type RunningJobInfo } from '../job/index.js';
import { type Logger, log, redactUrl } from '../log.js';
import { withDeadline } from '../utils/deadline.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import { Future } from '../utils/future.js';
import { AgentConnection, type AgentConnectionTimings } from './agent-connection.js';
import { HealthServer } from './health-server.js';
import { JobOffers } from './job-offers.js';
import { createCpuLoadFnc } from './load.js';
import {
  agentURL,
  httpURL,
  type ResolvedWorkerOptions,
  resolveWorkerOptions,
  type WorkerOptions,
} from './options.js';
import { loadProtocol } from './protocol.js';
import { StatusReporter } from './status-reporter.js';

export { WorkerAuthError } from './agent-connection.js';

const { version: VERSION } = createRequire(import.meta.url)('../../package.json') as {
  version: string;
};

// Loaded when needed, not at import: job processes import this package too,
// and would carry the library idle (about 20 MB each).
const loadServerSdk = () => import('livekit-server-sdk');

/** Intervals and deadlines of the worker's own machinery; tests shorten them. */
export interface WorkerTimings extends AgentConnectionTimings {
  /** Load and status are reported this often. */
  statusIntervalMs: number;
  /** A `loadFnc` slower than this is not waited for. */
  loadTimeoutMs: number;
  /** `terminate()` gives the server this long to hear the jobs' end. */
  terminateTimeoutMs: number;
}

const DEFAULT_TIMINGS: Omit<WorkerTimings, keyof AgentConnectionTimings> = {
  statusIntervalMs: 2500,
  loadTimeoutMs: 1000,
  terminateTimeoutMs: 1000,
};

export interface WorkerEvents {
  worker_registered: { workerId: string; serverInfo: ServerInfo | undefined };
}

/**
 * Turns an agent file into a service: connects to the LiveKit server's agent
 * endpoint, registers, is offered jobs, accepts them (within its capacity and
 * through `requestFnc`), and runs each accepted job in a process of its own.
 * Reconnects with backoff when the connection drops; running jobs keep
 * running meanwhile.
 *
 * The pieces: `AgentConnection` (the socket and its state), `JobOffers`
 * (admission, answers, launches, job status), `StatusReporter` (load and
 * availability), `ProcPool` (the job processes), `HealthServer`. This class
 * owns their lifecycle: `run()`, `drain()`, `close()`, `terminate()`.
 */
export class Worker extends TypedEventEmitter<WorkerEvents> {
  readonly options: ResolvedWorkerOptions;
  readonly #timings: Partial<WorkerTimings>;
  readonly #log: Logger;
  readonly #health: HealthServer;
  #connection: AgentConnection | undefined;
  #pool: ProcPool | undefined;
  /** Settles when `run()` has started the pool (or the worker closed first). */
  readonly #poolStarted = new Future<ProcPool>();
  #offers: JobOffers | undefined;
  #status: StatusReporter | undefined;
  #phase: 'new' | 'running' | 'draining' | 'closing' = 'new';
  #closing: Promise<void> | undefined;
  #healthPort = 0;
  #initFailureLogged = false;

  /** `timings` is for tests: the defaults suit production. */
  constructor(options: WorkerOptions, timings: Partial<WorkerTimings> = {}) {
    super();
    this.options = resolveWorkerOptions(options);
    this.#timings = timings;
    this.#log = log().child({ agentName: this.options.agentName || undefined });
    this.#health = new HealthServer({
      healthy: () => this.#connection?.state === 'registered',
      describe: () => this.describe(),
    });
  }

  /** The id the server gave this worker; '' until registered (new on every reconnection). */
  get id(): string {
    return this.#connection?.workerId ?? '';
  }

  get registered(): boolean {
    return this.#connection?.state === 'registered';
  }

  /** Port of the health server (useful when it was started on port 0). */
  get healthPort(): number {
    return this.#healthPort;
  }

  /** The jobs running now. */
  get activeJobs(): RunningJobInfo[] {
    return this.#pool?.activeJobs ?? [];
  }

  /** What `GET /worker` reports. */
  describe(): Record<string, unknown> {
    const refusal = this.#status?.refusal();
    return {
      id: this.id,
      agentName: this.options.agentName,
      status: this.#phase === 'draining' ? 'draining' : refusal ? 'full' : 'available',
      ...(refusal ? { reason: refusal } : {}),
      registered: this.registered,
      load: this.#status?.load ?? 0,
      jobs: this.#offers?.count ?? 0,
      maxJobs: this.options.maxJobs,
      activeJobs: this.activeJobs.map((info) => ({
        id: info.job.id,
        room: info.job.room?.name,
        participantIdentity: info.acceptArguments.identity,
      })),
    };
  }

  /**
   * Starts the health server, the job process pool and the connection, and
   * serves until `close()`. The worker registers while its pool warms.
   * Rejects when the server refuses the credentials, has no agent endpoint at
   * the URL, or cannot be reached for `maxRetry` attempts in a row.
   */
  async run(): Promise<void> {
    if (this.#phase !== 'new') throw new Error('Worker.run() was already called');
    this.#phase = 'running';
    const o = this.options;
    this.#log.info(
      { version: VERSION, url: redactUrl(o.wsURL), agent: o.agent, maxJobs: o.maxJobs },
      'starting worker',
    );
    try {
      const address = await this.#health.listen(o.host, o.port);
      this.#healthPort = address.port;
      const pool = await this.#startPool();
      const connection = new AgentConnection({
        url: agentURL(o.wsURL),
        token: () => this.#workerToken(),
        registerMessage: () => this.#registerMessage(),
        maxRetry: o.maxRetry,
        logger: this.#log,
        timings: this.#timings,
      });
      this.#connection = connection;
      const status = new StatusReporter({
        // Created now, so that the first window it measures is not the worker's own start-up.
        loadFnc: o.loadFnc ?? createCpuLoadFnc(),
        loadThreshold: o.loadThreshold,
        intervalMs: this.#timings.statusIntervalMs ?? DEFAULT_TIMINGS.statusIntervalMs,
        loadTimeoutMs: this.#timings.loadTimeoutMs ?? DEFAULT_TIMINGS.loadTimeoutMs,
        jobs: () => ({ count: this.#offers?.count ?? 0, capacity: o.maxJobs }),
        blocked: () => this.#blocked(),
        send: (value) =>
          connection.send(
            new (loadProtocol().WorkerMessage)({ message: { case: 'updateWorker', value } }),
          ),
        logger: this.#log,
      });
      this.#status = status;
      this.#offers = new JobOffers({
        options: o,
        connection,
        pool,
        status,
        logger: this.#log,
        workerId: () => connection.workerId,
      });
      connection.on('registered', (info) => {
        status.stop();
        status.start();
        this.emit('worker_registered', info);
      });
      connection.on('lost', () => status.stop());
      connection.on('message', (message) => this.#handle(message));
      await connection.run();
    } finally {
      await this.close();
    }
  }

  /**
   * Stops taking jobs (reports itself full and refuses offers), waits up to
   * `timeoutMs` for running jobs to end, then shuts the rest down.
   */
  async drain(timeoutMs = this.options.drainTimeoutMs): Promise<void> {
    if (this.#phase === 'running' || this.#phase === 'new') {
      this.#phase = 'draining';
      this.#log.info({ timeoutMs, activeJobs: this.activeJobs.length }, 'draining');
      await this.#status?.report();
    }
    await this.#pool?.drain(timeoutMs);
  }

  /**
   * Ends everything, in order: stops taking jobs, ends the running jobs
   * (each within `shutdownProcessTimeoutMs`) while the connection is still up
   * so the server hears how each ended, closes the connection (code 1000,
   * with a deadline), then the health server.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /**
   * Ends now, for a second Ctrl-C: tells the server that every running job
   * failed, closes the connection within about a second, and returns. The
   * caller then exits the process; job processes die with it (the pool kills
   * them on exit, and its reaper kills them if the worker dies abruptly).
   */
  async terminate(): Promise<void> {
    this.#phase = 'closing';
    this.#offers?.close();
    this.#offers?.reportAllFailed('the worker was stopped at once (second signal)');
    const timeoutMs = this.#timings.terminateTimeoutMs ?? DEFAULT_TIMINGS.terminateTimeoutMs;
    await withDeadline(
      this.#connection?.close() ?? Promise.resolve(),
      timeoutMs,
      'terminate',
    ).catch(() => {});
  }

  /**
   * Asks the server for a job in `room` for this worker, as if a user had
   * joined (one job: the room is not created here, since creating it would
   * dispatch a second one); with an identity, a publisher job for that
   * participant.
   */
  async simulateJob(room: string, participantIdentity?: string): Promise<void> {
    const { RoomServiceClient } = await loadServerSdk();
    const rooms = new RoomServiceClient(
      httpURL(this.options.wsURL),
      this.options.apiKey,
      this.options.apiSecret,
    );
    const [existing] = await rooms.listRooms([room]);
    const participant = participantIdentity
      ? await rooms.getParticipant(room, participantIdentity)
      : undefined;
    const { JobType, Room, SimulateJobRequest, WorkerMessage } = loadProtocol();
    this.#connection?.send(
      new WorkerMessage({
        message: {
          case: 'simulateJob',
          value: new SimulateJobRequest({
            type: participant ? JobType.JT_PUBLISHER : JobType.JT_ROOM,
            room: existing ?? new Room({ name: room }),
            participant,
          }),
        },
      }),
      { queue: true },
    );
  }

  /**
   * Starts jobs again in their rooms, under the same identities, with tokens
   * minted here (no server round trip): `dev` uses it to carry running jobs
   * over a restart of the worker.
   */
  async reloadJobs(
    jobs: ReadonlyArray<Pick<RunningJobInfo, 'job' | 'acceptArguments'>>,
  ): Promise<void> {
    // `dev` hands the jobs over as the new worker starts, before its pool exists.
    const pool = await this.#poolStarted.promise;
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
        workerId: this.id,
      });
    }
  }

  async #startPool(): Promise<ProcPool> {
    const o = this.options;
    const pool = new ProcPool({
      agentFile: o.agent,
      numIdleProcesses: o.numIdleProcesses,
      initializeTimeoutMs: o.initializeProcessTimeoutMs,
      shutdownTimeoutMs: o.shutdownProcessTimeoutMs,
      pingIntervalMs: o.jobPingIntervalMs,
      pingTimeoutMs: o.jobPingTimeoutMs,
      memoryWarnMB: o.jobMemoryWarnMB,
      memoryLimitMB: o.jobMemoryLimitMB,
      maxConcurrentInits: o.maxConcurrentInits,
      launchQueueTimeoutMs: o.launchQueueTimeoutMs,
    });
    this.#pool = pool;
    pool.on('init_failed', ({ error }) => {
      if (!this.#initFailureLogged) {
        this.#initFailureLogged = true;
        this.#log.error(
          { agent: o.agent, reason: error },
          'the agent file cannot be loaded in a job process; the worker reports itself full ' +
            'and takes no job until it loads (fix the file: in dev, saving it restarts the worker)',
        );
      }
      this.#status?.refresh();
    });
    pool.on('process_ready', () => {
      if (this.#initFailureLogged) {
        this.#initFailureLogged = false;
        this.#log.info('the agent file loads again; taking jobs');
      }
      this.#status?.refresh();
    });
    await pool.start(); // returns at once: the worker registers while the pool warms
    this.#poolStarted.resolve(pool);
    return pool;
  }

  /** Why the worker takes no job now, if so. */
  #blocked(): string | undefined {
    if (this.#phase === 'draining') return 'the worker is draining';
    if (this.#phase === 'closing') return 'the worker is closing';
    if (this.#pool?.initFailing) return 'the agent file cannot be loaded in a job process';
    return undefined;
  }

  #handle(message: ServerMessage): void {
    const { case: kind, value } = message.message;
    switch (kind) {
      case 'availability':
        if (value.job) void this.#offers?.offer(value.job);
        break;
      case 'assignment':
        this.#offers?.assigned(value);
        break;
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

  async #workerToken(): Promise<string> {
    const { AccessToken } = await loadServerSdk();
    const token = new AccessToken(this.options.apiKey, this.options.apiSecret);
    token.addGrant({ agent: true });
    return token.toJwt();
  }

  #registerMessage(): WorkerMessage {
    const o = this.options;
    const p = o.permissions;
    const { JobType, ParticipantPermission, RegisterWorkerRequest, WorkerMessage } = loadProtocol();
    return new WorkerMessage({
      message: {
        case: 'register',
        value: new RegisterWorkerRequest({
          type: o.workerType === 'publisher' ? JobType.JT_PUBLISHER : JobType.JT_ROOM,
          agentName: o.agentName,
          version: VERSION,
          namespace: o.namespace,
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

  async #shutdown(): Promise<void> {
    const wasDraining = this.#phase === 'draining';
    this.#phase = 'closing';
    this.#poolStarted.reject(new Error('the worker closed before its job processes started'));
    this.#offers?.close();
    // Tell the server first, so no new offer arrives while the jobs end.
    if (!wasDraining && this.#connection?.state === 'registered') {
      await this.#status?.report().catch(() => {});
    }
    this.#status?.stop();
    // The jobs end while the connection is still up: their final status reaches the server.
    await this.#pool?.close();
    await this.#connection?.close();
    await this.#health.close();
    this.#log.info('worker closed');
  }
}
