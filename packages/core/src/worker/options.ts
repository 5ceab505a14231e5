import { availableParallelism, totalmem } from 'node:os';
import type { TrackSource } from '@livekit/protocol';
import { DEFAULT_PROC_POOL_OPTIONS } from '../job/proc-pool.js';
import type { JobRequest } from './job-request.js';

export type WorkerType = 'room' | 'publisher';

/** What the agent may do in the rooms it joins; carried into each job's token by the server. */
export interface WorkerPermissions {
  canPublish: boolean;
  canSubscribe: boolean;
  canPublishData: boolean;
  canUpdateMetadata: boolean;
  canPublishSources: TrackSource[];
  /** Invisible to other participants. */
  hidden: boolean;
}

export interface WorkerOptions {
  /** Path of the agent file (the module whose default export is `defineAgent(...)`). */
  agent: string;
  /**
   * Decides whether to take a job: call `req.accept()` or `req.reject()`. Default:
   * accept. Returning without answering rejects the job.
   */
  requestFnc?: (req: JobRequest) => Promise<void>;
  /** Current load, 0 to 1. Default: CPU use of this machine or container (cgroup-aware). */
  loadFnc?: () => number | Promise<number>;
  /**
   * At or above this load the worker reports itself full (Infinity: never, the
   * default of `dev` and `connect`). Default 0.7: current
   * LiveKit servers stop giving jobs to workers at 0.7 whatever they report, so
   * a higher threshold would only make the worker look available while idle.
   */
  loadThreshold?: number;
  /**
   * Jobs this worker runs at once, counting the ones starting. Past it, offers
   * are refused at once (the server then asks another worker) and the worker
   * reports itself full. Default: from the machine, 8 per core and one per
   * 256 MB of memory, whichever is fewer.
   */
  maxJobs?: number;
  /**
   * How long `requestFnc` may take to accept or reject a job; then the job is
   * rejected. Default 2500 ms: the server waits about 3 s for the answer.
   */
  requestTimeoutMs?: number;
  /**
   * Job processes that may initialize (import the agent file, run `prewarm`)
   * at once; the rest wait their turn, so a burst does not starve every
   * start-up of CPU. Default: the number of cores, at most 4.
   */
  maxConcurrentInits?: number;
  /**
   * How long an assigned job may wait for its turn to start a process; past
   * it the job is reported failed, naming this limit. Default 30 s.
   */
  launchQueueTimeoutMs?: number;
  /** Job processes kept started and prewarmed, waiting for jobs. Default 3 (0 in `dev`). */
  numIdleProcesses?: number;
  /** Deadline for a process to import the agent file and run `prewarm`. Default 10 s. */
  initializeProcessTimeoutMs?: number;
  /** Deadline for a job to end after being asked to; then it is killed. Default 60 s. */
  shutdownProcessTimeoutMs?: number;
  /** How long `drain()` waits for running jobs. Default 60 s. */
  drainTimeoutMs?: number;
  permissions?: Partial<WorkerPermissions>;
  /** `room`: one job per room; `publisher`: one per participant that publishes. Default `room`. */
  workerType?: WorkerType;
  /** Named agents get only explicitly dispatched jobs. Default '' (automatic dispatch). */
  agentName?: string;
  /** Deprecated by LiveKit; sent only when set. */
  namespace?: string;
  /** Default: `LIVEKIT_URL`. */
  wsURL?: string;
  /** Default: `LIVEKIT_API_KEY`. */
  apiKey?: string;
  /** Default: `LIVEKIT_API_SECRET`. */
  apiSecret?: string;
  /** Health server address. Default localhost:8081 (`start`), a free port in `dev`; 0 picks a free one. */
  host?: string;
  port?: number;
  /** Reconnection attempts after the connection is lost, before giving up. Default 16. */
  maxRetry?: number;
  /** Warn when a job process uses more memory than this. Default 500 MB. */
  jobMemoryWarnMB?: number;
  /** Kill a job process past this much memory. Default: no limit. */
  jobMemoryLimitMB?: number;
  /** Ping interval and timeout of job processes (a hung process is killed). Defaults 2.5 s and 30 s. */
  jobPingIntervalMs?: number;
  jobPingTimeoutMs?: number;
  /** Deadline for the server's assignment after accepting a job. Default 7.5 s. */
  assignmentTimeoutMs?: number;
}

export type ResolvedWorkerOptions = Required<
  Omit<WorkerOptions, 'namespace' | 'jobMemoryLimitMB' | 'permissions' | 'loadFnc'>
> & {
  /** Undefined: the worker measures CPU load, from when it has started. */
  loadFnc: WorkerOptions['loadFnc'];
  namespace: string | undefined;
  jobMemoryLimitMB: number | undefined;
  permissions: WorkerPermissions;
};

const DEFAULT_PERMISSIONS: WorkerPermissions = {
  canPublish: true,
  canSubscribe: true,
  canPublishData: true,
  canUpdateMetadata: true,
  canPublishSources: [],
  hidden: false,
};

/**
 * Fills defaults (credentials from the environment) and rejects values that
 * cannot work, naming the option or the environment variable to fix.
 */
export function resolveWorkerOptions(
  options: WorkerOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedWorkerOptions {
  if (!options || typeof options.agent !== 'string' || options.agent === '') {
    throw new TypeError('WorkerOptions.agent must be the path of the agent file');
  }
  const fromEnv = (value: string | undefined, variable: string, option: string): string => {
    const resolved = value ?? env[variable];
    if (!resolved) {
      throw new TypeError(`${variable} is not set: set it in the environment or pass ${option}`);
    }
    return resolved;
  };
  const resolved: ResolvedWorkerOptions = {
    agent: options.agent,
    requestFnc: options.requestFnc ?? ((req) => req.accept()),
    loadFnc: options.loadFnc,
    loadThreshold: options.loadThreshold ?? 0.7,
    maxJobs: options.maxJobs ?? defaultMaxJobs(),
    requestTimeoutMs: options.requestTimeoutMs ?? 2500,
    maxConcurrentInits: options.maxConcurrentInits ?? DEFAULT_PROC_POOL_OPTIONS.maxConcurrentInits,
    launchQueueTimeoutMs: options.launchQueueTimeoutMs ?? 30_000,
    numIdleProcesses: options.numIdleProcesses ?? DEFAULT_PROC_POOL_OPTIONS.numIdleProcesses,
    initializeProcessTimeoutMs:
      options.initializeProcessTimeoutMs ?? DEFAULT_PROC_POOL_OPTIONS.initializeTimeoutMs,
    shutdownProcessTimeoutMs:
      options.shutdownProcessTimeoutMs ?? DEFAULT_PROC_POOL_OPTIONS.shutdownTimeoutMs,
    drainTimeoutMs: options.drainTimeoutMs ?? 60_000,
    permissions: { ...DEFAULT_PERMISSIONS, ...options.permissions },
    workerType: options.workerType ?? 'room',
    agentName: options.agentName ?? '',
    namespace: options.namespace,
    wsURL: fromEnv(options.wsURL, 'LIVEKIT_URL', 'wsURL (--url)'),
    apiKey: fromEnv(options.apiKey, 'LIVEKIT_API_KEY', 'apiKey (--api-key)'),
    apiSecret: fromEnv(options.apiSecret, 'LIVEKIT_API_SECRET', 'apiSecret (--api-secret)'),
    host: options.host ?? 'localhost',
    port: options.port ?? 8081,
    maxRetry: options.maxRetry ?? 16,
    jobMemoryWarnMB: options.jobMemoryWarnMB ?? DEFAULT_PROC_POOL_OPTIONS.memoryWarnMB,
    jobMemoryLimitMB: options.jobMemoryLimitMB,
    jobPingIntervalMs: options.jobPingIntervalMs ?? DEFAULT_PROC_POOL_OPTIONS.pingIntervalMs,
    jobPingTimeoutMs: options.jobPingTimeoutMs ?? DEFAULT_PROC_POOL_OPTIONS.pingTimeoutMs,
    assignmentTimeoutMs: options.assignmentTimeoutMs ?? 7500,
  };
  if (!/^(wss?|https?):\/\//.test(resolved.wsURL)) {
    throw new TypeError(
      `LiveKit URL must start with ws://, wss://, http:// or https:// (got ${resolved.wsURL})`,
    );
  }
  const threshold = resolved.loadThreshold;
  if (!((threshold > 0 && threshold <= 1) || threshold === Number.POSITIVE_INFINITY)) {
    throw new TypeError(
      `loadThreshold must be in (0, 1], or Infinity for none (got ${resolved.loadThreshold})`,
    );
  }
  if (resolved.workerType !== 'room' && resolved.workerType !== 'publisher') {
    throw new TypeError(
      `workerType must be 'room' or 'publisher' (got ${String(resolved.workerType)})`,
    );
  }
  for (const key of [
    'maxJobs',
    'requestTimeoutMs',
    'maxConcurrentInits',
    'launchQueueTimeoutMs',
  ] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`${key} must be a whole number >= 1 (got ${String(value)})`);
    }
  }
  for (const key of [
    'numIdleProcesses',
    'maxRetry',
    'port',
    'initializeProcessTimeoutMs',
    'shutdownProcessTimeoutMs',
    'drainTimeoutMs',
    'jobPingIntervalMs',
    'jobPingTimeoutMs',
    'assignmentTimeoutMs',
  ] as const) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new TypeError(`${key} must be a whole number >= 0 (got ${String(value)})`);
    }
  }
  return resolved;
}

/** Jobs per core, for the default `maxJobs`: a voice job with a local VAD uses a few percent of a core. */
const JOBS_PER_CORE = 8;
/** Memory per job, for the default `maxJobs`: an idle job process takes about 80 MB. */
const MEMORY_PER_JOB = 256 * 1024 * 1024;

/** The default `maxJobs`: what this machine (or container) can hold. */
export function defaultMaxJobs(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const memory = limit > 0 ? Math.min(limit, totalmem()) : totalmem();
  const byCpu = availableParallelism() * JOBS_PER_CORE;
  const byMemory = Math.floor(memory / MEMORY_PER_JOB);
  return Math.max(1, Math.min(byCpu, byMemory));
}

/** `<url>/agent` with ws(s) for http(s), without the reference's double slash. */
export function agentURL(wsURL: string): string {
  const url = new URL(wsURL);
  url.protocol = url.protocol.replace(/^http/, 'ws');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/agent`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** The HTTP base of the server's Twirp APIs, for a ws(s) or http(s) URL. */
export function httpURL(wsURL: string): string {
  const url = new URL(wsURL);
  url.protocol = url.protocol.replace(/^ws/, 'http');
  return url.origin;
}
