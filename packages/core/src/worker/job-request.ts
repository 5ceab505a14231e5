import type { Job, ParticipantInfo, Room } from '@livekit/protocol';

export interface AcceptOptions {
  /** The agent's participant identity. Default `agent-<job id>`. */
  identity?: string;
  name?: string;
  metadata?: string;
  attributes?: Record<string, string>;
}

export type JobAnswer =
  | { accepted: false }
  | {
      accepted: true;
      identity: string;
      name: string;
      metadata: string;
      attributes: Record<string, string>;
    };

/** Raised by a second `accept()` or `reject()` of the same request. */
export class JobRequestAnsweredError extends Error {
  override name = 'JobRequestAnsweredError';
}

/**
 * A job the server offers this worker. `requestFnc` answers it once, with
 * `accept()` or `reject()`; the job starts as soon as the server's assignment
 * arrives, without waiting for `requestFnc` to return.
 */
export class JobRequest {
  readonly job: Job;
  readonly #answer: (answer: JobAnswer) => void;
  #answered = false;

  constructor(job: Job, answer: (answer: JobAnswer) => void) {
    this.job = job;
    this.#answer = answer;
  }

  get id(): string {
    return this.job.id;
  }

  get room(): Room | undefined {
    return this.job.room;
  }

  /** The participant a publisher job is for. */
  get publisher(): ParticipantInfo | undefined {
    return this.job.participant;
  }

  get agentName(): string {
    return this.job.agentName;
  }

  get answered(): boolean {
    return this.#answered;
  }

  async accept(args: AcceptOptions = {}): Promise<void> {
    this.#settle({
      accepted: true,
      identity: args.identity || `agent-${this.job.id}`,
      name: args.name ?? '',
      metadata: args.metadata ?? '',
      attributes: { ...args.attributes },
    });
  }

  async reject(): Promise<void> {
    this.#settle({ accepted: false });
  }

  #settle(answer: JobAnswer): void {
    if (this.#answered) {
      throw new JobRequestAnsweredError(`job ${this.job.id} was already accepted or rejected`);
    }
    this.#answered = true;
    this.#answer(answer);
  }
}
