import type { ServerMessage, WorkerMessage } from '@livekit/protocol';

/** Which way a frame went, seen from the worker: tests read like the worker's story. */
export type MessageDirection = 'from_worker' | 'to_worker';

/** The oneof case of a message; `empty` when a worker sent no (or an unknown) case. */
export type WorkerMessageKind = NonNullable<WorkerMessage['message']['case']> | 'empty';
export type ServerMessageKind = NonNullable<ServerMessage['message']['case']>;

interface LoggedCommon {
  /** Position in the whole history, from 1; survives the log dropping old entries. */
  seq: number;
  /** `Date.now()` when the frame was read or written. */
  at: number;
  /** The websocket connection, known before the worker has an id. */
  connectionId: string;
  /** The worker id once the connection registered; undefined before. */
  workerId: string | undefined;
  /** How the frame was encoded (the real server answers in the format last received). */
  format: 'binary' | 'text';
}

/** One frame exchanged on an agent connection, decoded. */
export type LoggedMessage =
  | (LoggedCommon & { direction: 'from_worker'; kind: WorkerMessageKind; message: WorkerMessage })
  | (LoggedCommon & { direction: 'to_worker'; kind: ServerMessageKind; message: ServerMessage })
  | (LoggedCommon & {
      direction: MessageDirection;
      kind: 'malformed';
      message: undefined;
      /** Frame size and why it did not decode. */
      bytes: number;
      error: string;
    });

/** What a caller adds; the log stamps `seq` and `at`. (Omit spread over each member of the union.) */
export type NewLoggedMessage = LoggedMessage extends infer M
  ? M extends unknown
    ? Omit<M, 'seq' | 'at'>
    : never
  : never;

/**
 * The frames exchanged with workers, oldest first, for tests to inspect. Bounded:
 * past `capacity` entries the oldest are dropped (and counted), so a server left
 * running for days does not grow without limit.
 */
export class MessageLog {
  readonly capacity: number;
  readonly #ring: (LoggedMessage | undefined)[];
  #start = 0;
  #size = 0;
  #seq = 0;
  #dropped = 0;
  readonly #onAppend: (entry: LoggedMessage) => void;

  constructor(capacity: number, onAppend: (entry: LoggedMessage) => void) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new TypeError(`message log capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#ring = new Array(capacity);
    this.#onAppend = onAppend;
  }

  /** Entries dropped so far to stay within `capacity`. */
  get dropped(): number {
    return this.#dropped;
  }

  append(entry: NewLoggedMessage): LoggedMessage {
    const stamped = { ...entry, seq: ++this.#seq, at: Date.now() } as LoggedMessage;
    if (this.#size === this.capacity) {
      this.#start = (this.#start + 1) % this.capacity;
      this.#size--;
      this.#dropped++;
    }
    this.#ring[(this.#start + this.#size) % this.capacity] = stamped;
    this.#size++;
    this.#onAppend(stamped);
    return stamped;
  }

  /** A copy of the entries held, oldest first. */
  entries(): LoggedMessage[] {
    const out: LoggedMessage[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#ring[(this.#start + i) % this.capacity]!);
    return out;
  }

  find(predicate: (entry: LoggedMessage) => boolean): LoggedMessage | undefined {
    for (let i = 0; i < this.#size; i++) {
      const entry = this.#ring[(this.#start + i) % this.capacity]!;
      if (predicate(entry)) return entry;
    }
    return undefined;
  }
}
