/**
 * Why `ProcPool.launchJob` could not start a job:
 * - `queue_timeout`: no process start-up slot came free within `launchQueueTimeoutMs`;
 * - `queue_full`: `maxQueuedLaunches` launches were already waiting for a slot;
 * - `init_failed`: the job's process could not import the agent file or run `prewarm`;
 * - `not_acknowledged`: the process did not acknowledge the job in time (or exited first);
 * - `closed`: the pool is closed, or closed while the launch waited;
 * - `duplicate`: a job with this id is already running or starting;
 * - `cancelled`: `shutdownJob` was called while the launch waited for a slot.
 */
export type JobLaunchFailure =
  | 'queue_timeout'
  | 'queue_full'
  | 'init_failed'
  | 'not_acknowledged'
  | 'closed'
  | 'duplicate'
  | 'cancelled';

/**
 * A job that never started: no `job_started` or `job_exited` is emitted for
 * it. The message is complete on its own (it names the limit that was hit and
 * the option to raise); there is deliberately no `cause`, because loggers
 * that append causes would print the same text twice.
 */
export class JobLaunchError extends Error {
  override name = 'JobLaunchError';
  readonly reason: JobLaunchFailure;
  readonly jobId: string;

  constructor(reason: JobLaunchFailure, jobId: string, detail: string) {
    super(`could not start job ${jobId}: ${detail}`);
    this.reason = reason;
    this.jobId = jobId;
  }

  /** Waiting longer, or on a less busy worker, may succeed; a broken agent file or a duplicate will not. */
  get retryable(): boolean {
    return this.reason === 'queue_timeout' || this.reason === 'queue_full';
  }
}
