/**
 * The messages between the worker (parent) and a job process (child), in both
 * directions. They travel over the `child_process.fork` IPC channel with
 * `serialization: 'advanced'` (structured clone), so binary fields stay
 * `Uint8Array`, bigints stay bigints, and no framing code is needed here.
 *
 * Lifecycle, parent's view:
 *
 *     fork → initialize ─→ initialized | initialize_failed
 *          → start_job ──→ job_started → entry_started → (ping ⇄ pong, log)*
 *                          → [job_ending ⇄ job_ending_reported] → job_done → exit
 *          → shutdown ───→ [job_ending ⇄ job_ending_reported] → job_done → exit
 *                                                      (or killed past the deadline)
 */
import type { PlainMessage } from '@bufbuild/protobuf';
import type { Job } from '@livekit/protocol';
import type { AcceptArguments } from './job-info.js';

/** Import the agent file and run its `prewarm`. The first message a child receives. */
export interface InitializeRequest {
  type: 'initialize';
  /** Absolute path of the agent file. */
  agentFile: string;
  /** The worker's log level, so the child does not format lines the worker would drop. */
  logLevel: string;
  /** How long the child gives its own teardown (shutdown callbacks, leaving the room). */
  shutdownTimeoutMs: number;
}

/** Run the agent's `entry` for this job. The fields of a `RunningJobInfo`. */
export interface StartJobRequest {
  type: 'start_job';
  /**
   * The `Job` as the structured clone carries it: its fields, without its
   * class (`new Job(job)` restores that). Not `toBinary()`: encoding took the
   * worker 0.05-0.4 ms per job (3.5 ms for its first) on the dispatch path,
   * and the clone's decoding in the job process is cheaper too.
   */
  job: PlainMessage<Job>;
  url: string;
  token: string;
  acceptArguments: AcceptArguments;
  workerId: string;
}

/** Health check. `sentAt` is the parent's clock; the child echoes it back untouched. */
export interface PingRequest {
  type: 'ping';
  sentAt: number;
}

/** End the job (or, for an idle process, just exit). */
export interface ShutdownRequest {
  type: 'shutdown';
  reason: string;
}

/** The parent has told the server how the job ended (answer to `job_ending`): the child may leave the room. */
export interface JobEndingReported {
  type: 'job_ending_reported';
}

/** Sent by the parent. */
export type ParentMessage =
  | InitializeRequest
  | StartJobRequest
  | PingRequest
  | ShutdownRequest
  | JobEndingReported;

/** Sent by the child. */
export type ChildMessage =
  /** The agent file is imported and `prewarm` has finished: ready for a job. */
  | { type: 'initialized' }
  /** Importing the agent file or `prewarm` failed; the child exits next. */
  | { type: 'initialize_failed'; error: string; stack?: string }
  /** The child has the job and is starting `entry`. */
  | { type: 'job_started' }
  /**
   * `entry` has been called and has run to its first `await` (or returned):
   * the pool forks this process's replacement now, not while the job starts.
   */
  | { type: 'entry_started' }
  /**
   * The job has started ending and its outcome is decided. The server takes
   * an agent leaving a room while its job still runs for a failure ("agent
   * worker left the room"), so the parent reports the outcome at once and
   * answers `job_ending_reported`; the child leaves its room only after that.
   */
  | { type: 'job_ending'; reason: string; error?: string }
  /**
   * The job is over and torn down (shutdown callbacks run, room left); the
   * child exits next. `error` is set when the job failed.
   */
  | { type: 'job_done'; reason: string; error?: string }
  /**
   * Reply to a ping. Echoing the parent's `sentAt` means the round trip is
   * measured on one clock. The memory reading rides along, so the health
   * check and the memory check share one period.
   */
  | { type: 'pong'; sentAt: number; rssBytes: number }
  /** One pino log line (JSON) for the parent to write through its own logger. */
  | { type: 'log'; line: string };

const PARENT_TYPES = new Set<string>([
  'initialize',
  'start_job',
  'ping',
  'shutdown',
  'job_ending_reported',
]);
const CHILD_TYPES = new Set<string>([
  'initialized',
  'initialize_failed',
  'job_started',
  'entry_started',
  'job_ending',
  'job_done',
  'pong',
  'log',
]);

// IPC delivers whatever the other side sent; these guards stop a stray message
// (from user code calling process.send, say) from being taken for ours.
export function isParentMessage(value: unknown): value is ParentMessage {
  return hasType(value, PARENT_TYPES);
}

export function isChildMessage(value: unknown): value is ChildMessage {
  return hasType(value, CHILD_TYPES);
}

function hasType(value: unknown, types: Set<string>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && types.has(type);
}
