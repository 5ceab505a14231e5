import type { PartialMessage } from '@bufbuild/protobuf';
import type { CreateRoomRequest } from '@livekit/protocol';
import { scaledMs } from '../time.js';

export interface LiveKitStandInOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** The one key pair the server accepts. Default `devkey` / `secret`, like `livekit-server --dev`. */
  apiKey?: string;
  apiSecret?: string;
  /**
   * Deadline for a worker to answer an availability request. Default 3000 ms:
   * nominally 10 s on the real server, but its internal RPC gives up after 3 s.
   */
  availabilityTimeoutMs?: number;
  /**
   * After an availability timeout, offer the job to the next worker. Default
   * false: the real server drops the job (only a rejection or a closed
   * connection moves it on).
   */
  retryOnAvailabilityTimeout?: boolean;
  /** Deadline for the answer about a simulated job. Default 10 000 ms, as on the real server. */
  simulatedAvailabilityTimeoutMs?: number;
  /** A connection must register within this. Default 10 000 ms. */
  registerTimeoutMs?: number;
  /** Websocket ping frames to each worker this often. Default 10 000 ms. */
  pingIntervalMs?: number;
  /** Workers at or above this load do not count towards claiming a job. Default 0.7. */
  targetLoad?: number;
  /** After DeleteDispatch, agents still in the room after this are removed. Default 3000 ms. */
  dispatchLeaveTimeoutMs?: number;
  /** Random numbers in [0, 1) for choosing workers; inject a seeded one for reproducible tests. */
  random?: () => number;
  /** Frames kept in the message log; older ones are dropped. Default 10 000. */
  messageLogCapacity?: number;
  /** Job records kept; older finished ones are forgotten. Default 10 000. */
  maxJobs?: number;
  /** Default deadline of the `waitFor...` helpers. Default 20 s times TEST_TIME_SCALE. */
  waitTimeoutMs?: number;
  /** Reported in `ServerInfo.region`. Default ''. */
  region?: string;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<LiveKitStandInOptions>;

export interface WaitOptions {
  /** Default: the server's `waitTimeoutMs`. */
  timeoutMs?: number;
}

export interface MessageWaitOptions extends WaitOptions {
  /** Only consider entries logged after this `seq` (default: the whole log, past entries included). */
  after?: number;
}

export interface RestartOptions {
  /**
   * Keep rooms, participants, dispatches and job records, as a server backed
   * by Redis would. Default false: a single-node server forgets everything.
   * Workers are disconnected either way and must register again.
   */
  keepRooms?: boolean;
  /** Stay down this long before listening again (clients see refused connections). */
  downtimeMs?: number;
}

export type CreateRoomOptions = Omit<PartialMessage<CreateRoomRequest>, 'name'>;

/** Fills in the defaults and refuses durations or sizes that are not positive. */
export function resolveOptions(options: LiveKitStandInOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    apiKey: options.apiKey ?? 'devkey',
    apiSecret: options.apiSecret ?? 'secret',
    availabilityTimeoutMs: options.availabilityTimeoutMs ?? 3000,
    retryOnAvailabilityTimeout: options.retryOnAvailabilityTimeout ?? false,
    simulatedAvailabilityTimeoutMs: options.simulatedAvailabilityTimeoutMs ?? 10_000,
    registerTimeoutMs: options.registerTimeoutMs ?? 10_000,
    pingIntervalMs: options.pingIntervalMs ?? 10_000,
    targetLoad: options.targetLoad ?? 0.7,
    dispatchLeaveTimeoutMs: options.dispatchLeaveTimeoutMs ?? 3000,
    random: options.random ?? Math.random,
    messageLogCapacity: options.messageLogCapacity ?? 10_000,
    maxJobs: options.maxJobs ?? 10_000,
    waitTimeoutMs: options.waitTimeoutMs ?? scaledMs(20_000),
    region: options.region ?? '',
  };
  for (const key of [
    'availabilityTimeoutMs',
    'simulatedAvailabilityTimeoutMs',
    'registerTimeoutMs',
    'pingIntervalMs',
    'dispatchLeaveTimeoutMs',
    'messageLogCapacity',
    'maxJobs',
    'waitTimeoutMs',
  ] as const) {
    if (!(resolved[key] > 0)) throw new RangeError(`${key} must be positive, got ${resolved[key]}`);
  }
  if (!resolved.apiKey || !resolved.apiSecret)
    throw new TypeError('apiKey and apiSecret must be set');
  return resolved;
}
