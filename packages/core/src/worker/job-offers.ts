import type { AvailabilityResponse, Job, JobAssignment } from '@livekit/protocol';
import type { ProcPool } from '../job/index.js';
import type { Logger } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { Future } from '../utils/future.js';
import type { AgentConnection } from './agent-connection.js';
import { type JobAnswer, JobRequest } from './job-request.js';
import type { ResolvedWorkerOptions } from './options.js';
import { loadProtocol } from './protocol.js';
import type { StatusReporter } from './status-reporter.js';

type Availability = ConstructorParameters<typeof AvailabilityResponse>[0];
type ReportedStatus = 'running' | 'success' | 'failed';

/** A job this worker said yes to and that has not started yet (or failed to). */
interface Offer {
  assignment: Future<JobAssignment>;
}

export interface JobOffersOptions {
  options: ResolvedWorkerOptions;
  connection: AgentConnection;
  pool: ProcPool;
  status: StatusReporter;
  logger: Logger;
  /** The worker's id now (jobs carry it). */
  workerId: () => string;
}

/**
 * The life of a job offer: admission (capacity is reserved the moment a job
 * is accepted, so a burst of offers sees the jobs that are still starting),
 * the user's `requestFnc` with a deadline inside the server's answer window,
 * the answer, the assignment (with a deadline), the launch in a job process,
 * and the job's status reports to the server. An accepted job either starts
 * or is reported failed with the reason; a refused one is refused at once so
 * the server can offer it to another worker.
 */
export class JobOffers {
  readonly #o: JobOffersOptions;
  readonly #offers = new Map<string, Offer>();
  /** Jobs whose final status went out at `job_ending` (until their `job_exited`). */
  readonly #endReported = new Set<string>();
  #closed = false;

  constructor(options: JobOffersOptions) {
    this.#o = options;
    const { pool } = options;
    pool.on('job_started', ({ jobId }) => this.#reportJob(jobId, 'running'));
    // Said before the job leaves its room: see `job_ending` in job/ipc.ts. The server
    // forgets a job once it has its final status, so the exit is not reported again.
    pool.on('job_ending', ({ jobId, status, error }) => {
      this.#endReported.add(jobId);
      this.#reportJob(jobId, status, error);
    });
    pool.on('job_exited', ({ jobId, status, error }) => {
      if (!this.#endReported.delete(jobId)) this.#reportJob(jobId, status, error);
      this.#o.status.refresh();
    });
  }

  /** Jobs running, starting, or accepted and waiting for their assignment. */
  get count(): number {
    const ids = new Set(this.#offers.keys());
    for (const info of this.#o.pool.activeJobs) ids.add(info.job.id);
    return ids.size;
  }

  /** Answers an availability request. Never throws. */
  async offer(job: Job): Promise<void> {
    const logger = this.#o.logger.child({ jobId: job.id, room: job.room?.name });
    const refusal = this.#refusal(job.id);
    if (refusal) {
      logger.info({ reason: refusal }, 'refusing a job');
      this.#answer({ jobId: job.id, available: false });
      return;
    }
    const offer: Offer = { assignment: new Future<JobAssignment>() };
    this.#offers.set(job.id, offer);
    this.#o.status.refresh();
    try {
      await this.#run(job, offer, logger);
    } finally {
      this.#offers.delete(job.id);
      this.#o.status.refresh();
    }
  }

  /** The server's assignment for a job we accepted. */
  assigned(assignment: JobAssignment): void {
    const jobId = assignment.job?.id ?? '';
    const offer = this.#offers.get(jobId);
    if (!offer?.assignment.resolve(assignment)) {
      this.#o.logger.warn({ jobId }, 'assignment for a job this worker is not waiting for');
    }
  }

  /** Stops taking jobs; accepted jobs still waiting for their assignment are let go. */
  close(): void {
    this.#closed = true;
    for (const offer of this.#offers.values()) {
      offer.assignment.reject(new Error('the worker is closing'));
    }
  }

  /** Tells the server that each running job failed: the worker is going away now. */
  reportAllFailed(reason: string): void {
    for (const info of this.#o.pool.activeJobs) {
      this.#reportJob(info.job.id, 'failed', reason);
    }
  }

  #refusal(jobId: string): string | undefined {
    if (this.#closed) return 'the worker is closing';
    // The real server never repeats an outstanding offer; one that does must not
    // make us report a live job failed.
    if (this.#offers.has(jobId)) return 'this job was already offered and is pending here';
    if (this.#o.pool.activeJobs.some((info) => info.job.id === jobId)) {
      return 'this job is already running here';
    }
    return this.#o.status.refusal();
  }

  async #run(job: Job, offer: Offer, logger: Logger): Promise<void> {
    const answer = await this.#askRequestFnc(job, logger);
    if (!answer.accepted || this.#closed) {
      this.#answer({ jobId: job.id, available: false });
      return;
    }
    this.#answer({
      jobId: job.id,
      available: true,
      participantIdentity: answer.identity,
      participantName: answer.name,
      participantMetadata: answer.metadata,
      participantAttributes: answer.attributes,
    });
    const { assignmentTimeoutMs } = this.#o.options;
    let assigned: JobAssignment;
    try {
      assigned = await withDeadline(
        offer.assignment.promise,
        assignmentTimeoutMs,
        `no assignment within ${assignmentTimeoutMs} ms`,
      );
    } catch (error) {
      // The server gave the job to no one, or to another worker: nothing to report.
      if (!this.#closed) logger.warn({ reason: errorMessage(error) }, 'job never assigned');
      return;
    }
    logger.info('job assigned; starting it');
    try {
      await this.#o.pool.launchJob({
        job: assigned.job ?? job,
        url: assigned.url || this.#o.options.wsURL,
        token: assigned.token,
        acceptArguments: {
          identity: answer.identity,
          name: answer.name,
          metadata: answer.metadata,
          attributes: answer.attributes,
        },
        workerId: this.#o.workerId(),
      });
    } catch (error) {
      const reason = errorMessage(error);
      logger.error({ reason }, 'could not start the job');
      this.#reportJob(job.id, 'failed', reason);
    }
  }

  /**
   * Asks `requestFnc` within `requestTimeoutMs`. Returning without answering,
   * throwing, or running out of time all reject the job.
   */
  async #askRequestFnc(job: Job, logger: Logger): Promise<JobAnswer> {
    const answered = new Future<JobAnswer>();
    const request = new JobRequest(job, (answer) => answered.resolve(answer));
    const userCode = Promise.resolve()
      .then(() => this.#o.options.requestFnc(request))
      .catch((error: unknown) => logger.error({ err: error }, 'requestFnc failed; rejecting'));
    const { requestTimeoutMs } = this.#o.options;
    const answer = await withDeadline(
      Promise.race([answered.promise, userCode.then(() => undefined)]),
      requestTimeoutMs,
      'requestFnc did not answer',
    ).catch(() => undefined);
    if (answer) return answer;
    if (!request.answered) {
      logger.warn(
        { requestTimeoutMs },
        'requestFnc did not accept or reject the job in time; rejecting it',
      );
      await request.reject();
    }
    return answered.promise;
  }

  #answer(availability: Availability): void {
    const { AvailabilityResponse, WorkerMessage } = loadProtocol();
    this.#o.connection.send(
      new WorkerMessage({
        message: { case: 'availability', value: new AvailabilityResponse(availability) },
      }),
    );
  }

  #reportJob(jobId: string, reported: ReportedStatus, error?: string): void {
    const { JobStatus, UpdateJobStatus, WorkerMessage } = loadProtocol();
    const status =
      reported === 'running'
        ? JobStatus.JS_RUNNING
        : reported === 'success'
          ? JobStatus.JS_SUCCESS
          : JobStatus.JS_FAILED;
    this.#o.connection.send(
      new WorkerMessage({
        message: {
          case: 'updateJob',
          value: new UpdateJobStatus({ jobId, status, error: error ?? '' }),
        },
      }),
      { queue: true },
    );
  }
}
