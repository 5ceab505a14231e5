import { Job } from '@livekit/protocol';
import { DisconnectReason, Room } from '@livekit/rtc-node';
import { log } from '../log.js';
import { errorMessage } from '../utils/deadline.js';
import type { Agent, JobProcess } from './agent.js';
import type { StartJobRequest } from './ipc.js';
import { JobContext, type ShutdownCallback } from './job-context.js';
import type { RunningJobInfo } from './job-info.js';

/** The job process's side of `toStartJobRequest`: the clone of the job becomes a `Job` again. */
export function fromStartJobRequest(message: StartJobRequest): RunningJobInfo {
  return {
    job: new Job(message.job),
    url: message.url,
    token: message.token,
    acceptArguments: message.acceptArguments,
    workerId: message.workerId,
  };
}

/** How a job ended: `error` is set when it failed. */
export interface JobEnd {
  reason: string;
  error?: string;
}

/**
 * One job inside a job process: its room, its context, its entry, and its end.
 * The job ends at the first of: the room disconnects, `ctx.shutdown()`, the
 * entry throws, or the process calls `end()` (the worker asked, or went away).
 * The entry returning does not end it: an entry typically starts an assistant
 * and returns while the conversation goes on.
 */
export class JobRunner {
  readonly ctx: JobContext;
  readonly #room = new Room();
  readonly #ending = new AbortController();
  readonly #shutdownCallbacks: ShutdownCallback[] = [];
  readonly #onEnding: (reason: string) => void;
  readonly #beforeLeaving: (end: JobEnd) => Promise<void>;
  #ended: Promise<JobEnd> | undefined;

  /**
   * `onEnding` runs once, as soon as the job starts ending, whatever ended it.
   * `beforeLeaving` gets the outcome as soon as the job starts ending, and the
   * room is left only once it settles: see `job_ending` in ipc.ts.
   */
  constructor(
    info: RunningJobInfo,
    proc: JobProcess,
    onEnding: (reason: string) => void,
    beforeLeaving: (end: JobEnd) => Promise<void> = async () => {},
  ) {
    this.#onEnding = onEnding;
    this.#beforeLeaving = beforeLeaving;
    this.ctx = new JobContext({
      info,
      proc,
      room: this.#room,
      ending: this.#ending.signal,
      shutdownCallbacks: this.#shutdownCallbacks,
      requestShutdown: (reason) => void this.end(reason),
    });
    this.#room.on('disconnected', (reason) => {
      void this.end(`room disconnected (${DisconnectReason[reason] ?? reason})`);
    });
  }

  /**
   * Calls the entry, which runs to its first `await` before this returns (the
   * process reports the entry started then). Its failure, thrown or
   * rejected, ends the job as failed.
   */
  run(agent: Agent): void {
    const logger = log();
    let entry: unknown;
    try {
      entry = agent.entry(this.ctx);
    } catch (error) {
      entry = Promise.reject(error);
    }
    Promise.resolve(entry).then(
      () => {
        if (!this.#room.isConnected && !this.#ending.signal.aborted) {
          logger.warn(
            'the entry returned without connecting to the room; ' +
              'the job keeps running until ctx.shutdown() is called or the worker ends it',
          );
        }
      },
      (error: unknown) => {
        logger.error({ err: error }, 'the job entry failed');
        void this.end('the job entry failed', error);
      },
    );
  }

  /**
   * Ends the job: shutdown callbacks in order, then leaves the room. The first
   * call decides the reason and outcome; later calls get the same result.
   * Not bounded here: the process around it owns the deadline (and kills).
   */
  end(reason: string, error?: unknown): Promise<JobEnd> {
    if (!this.#ended) {
      this.#ended = this.#teardown(reason, error);
      this.#onEnding(reason);
    }
    return this.#ended;
  }

  async #teardown(reason: string, error: unknown): Promise<JobEnd> {
    const logger = log();
    logger.debug({ reason }, 'job ending');
    this.#ending.abort(new Error(`the job is shutting down: ${reason}`));
    // The outcome is decided now, so the worker reports it now, while the job is surely still
    // in its room (a connection lost during the teardown would otherwise tell the server first).
    const end: JobEnd = error === undefined ? { reason } : { reason, error: errorMessage(error) };
    const reported = this.#beforeLeaving(end).catch((reportError: unknown) => {
      logger.warn({ err: reportError }, 'the job outcome could not be reported before leaving');
    });
    // Assistants first, while their models and the room still work; bounded inside.
    await this.ctx._closeVoice();
    for (const callback of this.#shutdownCallbacks) {
      try {
        await callback(reason);
      } catch (callbackError) {
        logger.error({ err: callbackError }, 'a shutdown callback failed');
      }
    }
    await reported;
    if (this.#room.isConnected) {
      try {
        await this.#room.disconnect();
      } catch (disconnectError) {
        logger.warn({ err: disconnectError }, 'leaving the room failed');
      }
    }
    return end;
  }
}
