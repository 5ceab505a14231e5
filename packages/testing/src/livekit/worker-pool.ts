import {
  type AvailabilityResponse,
  JobType,
  ParticipantPermission,
  type RegisterWorkerRequest,
  WorkerStatus,
} from '@livekit/protocol';
import type { WorkerConnection } from './worker-connection.js';

/** What a job must match exactly to be offered to a worker. */
export interface WorkerKey {
  agentName: string;
  namespace: string;
  jobType: JobType;
  deployment: string;
}

/** A registered worker, as the server tracks it. */
export interface RegisteredWorker extends WorkerKey {
  readonly id: string;
  readonly connection: WorkerConnection;
  readonly version: string;
  /** Registered `allowed_permissions`, or the server's defaults: they shape job tokens. */
  readonly permissions: ParticipantPermission;
  readonly registeredAt: number;
  status: WorkerStatus;
  load: number;
  /** Jobs assigned and not ended; only these accept status updates and terminations. */
  readonly runningJobs: Set<string>;
  /** Availability requests awaiting an answer, by job id. */
  readonly offers: Map<string, (answer: AvailabilityAnswer) => void>;
}

/** How a worker answered an availability request, or why it did not. */
export type AvailabilityAnswer =
  | { kind: 'accepted'; response: AvailabilityResponse }
  | { kind: 'rejected' }
  | { kind: 'terminate' }
  | { kind: 'timeout' }
  | { kind: 'worker_closed' };

const MAX_DEPLOYMENT_BYTES = 64;

/** Why the real server would close a connection over this registration, or undefined if none. */
export function registrationError(request: RegisterWorkerRequest): string | undefined {
  if (!Object.values(JobType).includes(request.type)) {
    return `unknown job type ${request.type}`;
  }
  return deploymentError(request.deployment);
}

/** Why a deployment name is invalid, or undefined if it is fine (empty is fine). */
export function deploymentError(deployment: string): string | undefined {
  if (Buffer.byteLength(deployment) > MAX_DEPLOYMENT_BYTES) {
    return `deployment longer than ${MAX_DEPLOYMENT_BYTES} bytes`;
  }
  // `_` separates the deployment in topic names, so it may not appear in one.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are what it rejects.
  if (/[_\s\u0000-\u001f\u007f]/.test(deployment)) {
    return 'deployment contains "_", whitespace or control characters';
  }
  return undefined;
}

/** Permissions a worker gets when it registers none: everything but hidden and metrics. */
export function defaultPermissions(): ParticipantPermission {
  return new ParticipantPermission({
    canSubscribe: true,
    canPublish: true,
    canPublishData: true,
    canUpdateMetadata: true,
  });
}

/** Registered workers, in registration order (which makes weighted choice reproducible). */
export class WorkerPool {
  readonly #workers = new Map<string, RegisteredWorker>();

  get size(): number {
    return this.#workers.size;
  }

  add(worker: RegisteredWorker): void {
    this.#workers.set(worker.id, worker);
  }

  remove(workerId: string): RegisteredWorker | undefined {
    const worker = this.#workers.get(workerId);
    this.#workers.delete(workerId);
    return worker;
  }

  get(workerId: string): RegisteredWorker | undefined {
    return this.#workers.get(workerId);
  }

  list(): RegisteredWorker[] {
    return [...this.#workers.values()];
  }

  matching(key: WorkerKey): RegisteredWorker[] {
    return this.list().filter(
      (w) =>
        w.agentName === key.agentName &&
        w.namespace === key.namespace &&
        w.jobType === key.jobType &&
        w.deployment === key.deployment,
    );
  }

  /**
   * Namespaces registered for this agent name, job type and deployment: the
   * real server launches one job per namespace (a deprecated feature, but
   * mid-2024 SDKs still registered "default").
   */
  namespacesFor(key: Omit<WorkerKey, 'namespace'>): string[] {
    const namespaces = new Set<string>();
    for (const w of this.#workers.values()) {
      if (
        w.agentName === key.agentName &&
        w.jobType === key.jobType &&
        w.deployment === key.deployment
      ) {
        namespaces.add(w.namespace);
      }
    }
    return [...namespaces];
  }
}

/**
 * Whether this server node would claim the job at all: the sum, over available
 * matching workers, of their headroom under `targetLoad`. At zero (every
 * available worker at or above the target) the real server does not claim the
 * job and it is lost ("no servers available").
 */
export function nodeAffinity(candidates: readonly RegisteredWorker[], targetLoad: number): number {
  let affinity = 0;
  for (const w of candidates) {
    if (w.status === WorkerStatus.WS_AVAILABLE) affinity += Math.max(0, targetLoad - w.load);
  }
  return affinity;
}

/**
 * Picks an available worker at random, weighted by `1 - load` (a worker at load
 * 1 or more is never picked), skipping those already tried for this job.
 * `random` returns values in [0, 1), like `Math.random`, and is injectable so
 * tests can check the distribution deterministically.
 */
export function pickWorker<W extends Pick<RegisteredWorker, 'id' | 'status' | 'load'>>(
  candidates: readonly W[],
  tried: ReadonlySet<string>,
  random: () => number,
): W | undefined {
  const weighted: { worker: W; weight: number }[] = [];
  let total = 0;
  for (const worker of candidates) {
    if (tried.has(worker.id) || worker.status !== WorkerStatus.WS_AVAILABLE) continue;
    const weight = Math.max(0, 1 - worker.load);
    if (weight <= 0) continue;
    weighted.push({ worker, weight });
    total += weight;
  }
  if (weighted.length === 0) return undefined;
  let point = random() * total;
  for (const { worker, weight } of weighted) {
    point -= weight;
    if (point < 0) return worker;
  }
  // Rounding can leave `point` a hair above zero after the last weight.
  return weighted[weighted.length - 1]!.worker;
}

/** A registered worker as the server sees it (a copy). */
export interface WorkerInfo {
  id: string;
  connectionId: string;
  agentName: string;
  namespace: string;
  jobType: JobType;
  deployment: string;
  version: string;
  status: WorkerStatus;
  load: number;
  runningJobs: string[];
  permissions: ParticipantPermission;
  /** `protocol` query parameter of its connection (default 1). */
  protocol: number;
  registeredAt: number;
  /** A fault injected with `stallWorker`. */
  stalled: boolean;
}

/** A copy of what the server knows about a worker. */
export function workerInfo(worker: RegisteredWorker): WorkerInfo {
  return {
    id: worker.id,
    connectionId: worker.connection.id,
    agentName: worker.agentName,
    namespace: worker.namespace,
    jobType: worker.jobType,
    deployment: worker.deployment,
    version: worker.version,
    status: worker.status,
    load: worker.load,
    runningJobs: [...worker.runningJobs],
    permissions: worker.permissions.clone(),
    protocol: worker.connection.protocol,
    registeredAt: worker.registeredAt,
    stalled: worker.connection.stalled,
  };
}
