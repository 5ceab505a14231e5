// CONTRACT for issue 12 (agreed before implementation; owner: room-tx).
import { randomBytes } from 'node:crypto';
import { type Logger, log } from '../../log.js';
import { DeadlineError, errorMessage, withDeadline } from '../../utils/deadline.js';
import type { TextOutput, TimedText } from '../io.js';
import type { RoomSurface } from './surface.js';

/** Whose words, on which track: the fields of an rtc-node `Transcription`. */
export interface TranscriptionTarget {
  participantIdentity: string;
  trackSid: string;
}

export interface TranscriptionPublisherOptions {
  /** Segments waiting to be published; past it the oldest interim update is dropped (default 32). */
  maxPending?: number;
  /** Deadline for one `publishTranscription` call (default 5000 ms). */
  publishTimeoutMs?: number;
  /** A failure is logged the first time, then once every `logEvery` (default 20). */
  logEvery?: number;
  /** Default: the framework's logger. */
  logger?: Logger;
}

/** One segment's state, as it goes on the wire. */
export interface TranscriptionUpdate {
  id: string;
  text: string;
  final: boolean;
  language?: string;
}

interface Pending {
  target: TranscriptionTarget;
  segment: TranscriptionUpdate;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 2000;
/** Finals are kept past `maxPending`, but not without end: a room that never answers must not grow memory. */
const FINALS_FACTOR = 4;

/**
 * Publishes transcription segments through `room.localParticipant`, one call
 * at a time, from a bounded queue: a newer state of a segment replaces its
 * queued one, a failed or late publish is logged (rate-limited) and counted,
 * and the conversation goes on.
 */
export class TranscriptionPublisher {
  readonly #room: RoomSurface;
  readonly #maxPending: number;
  readonly #timeoutMs: number;
  readonly #logEvery: number;
  readonly #logger: Logger | undefined;
  /** In publish order; at most one entry per segment id. */
  readonly #queue: Pending[] = [];
  #pumping: Promise<void> | undefined;
  #closed = false;
  #failures = 0;
  #timeouts = 0;
  #dropped = 0;
  #published = 0;

  constructor(room: RoomSurface, options: TranscriptionPublisherOptions = {}) {
    this.#room = room;
    this.#maxPending = Math.max(1, options.maxPending ?? 32);
    this.#timeoutMs = options.publishTimeoutMs ?? 5000;
    this.#logEvery = Math.max(1, options.logEvery ?? 20);
    this.#logger = options.logger;
  }

  /** Queues the segment's latest state (ignored once closed). */
  publish(target: TranscriptionTarget, segment: TranscriptionUpdate): void {
    if (this.#closed) return;
    const entry = { target, segment: { ...segment } };
    const queued = this.#queue.find((p) => p.segment.id === segment.id);
    if (queued) {
      // A final stays final: an update after it must not make clients reopen the segment.
      entry.segment.final ||= queued.segment.final;
      this.#queue[this.#queue.indexOf(queued)] = entry;
    } else {
      this.#queue.push(entry);
      this.#trim();
    }
    this.#pumping ??= this.#pump();
  }

  /** Publish calls that failed or passed their deadline. */
  get failures(): number {
    return this.#failures;
  }

  /** Of the failures, the calls abandoned at their deadline. */
  get timeouts(): number {
    return this.#timeouts;
  }

  /** Updates dropped unpublished: queue overflow, or still queued at close's deadline. */
  get dropped(): number {
    return this.#dropped;
  }

  get published(): number {
    return this.#published;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Publishes what is queued, within the deadline, then refuses more. */
  async close(timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
    this.#closed = true;
    const pumping = this.#pumping;
    if (pumping) {
      await withDeadline(pumping, timeoutMs, 'transcriptions still queued').catch(() => {});
    }
    if (this.#queue.length > 0) {
      this.#dropped += this.#queue.length;
      this.#logger_().warn(
        { left: this.#queue.length },
        `transcription publisher closed with updates not published within ${timeoutMs} ms`,
      );
      this.#queue.length = 0;
    }
  }

  #trim(): void {
    if (this.#queue.length <= this.#maxPending) return;
    let index = this.#queue.findIndex((p) => !p.segment.final);
    if (index < 0) {
      if (this.#queue.length <= this.#maxPending * FINALS_FACTOR) return;
      index = 0;
    }
    this.#queue.splice(index, 1);
    this.#dropped++;
  }

  async #pump(): Promise<void> {
    try {
      // Updates made in the same tick (an interim then its final) coalesce before the first call.
      await Promise.resolve();
      for (;;) {
        const next = this.#queue.shift();
        if (!next) return;
        await this.#send(next);
      }
    } finally {
      this.#pumping = undefined;
    }
  }

  async #send({ target, segment }: Pending): Promise<void> {
    const participant = this.#room.localParticipant;
    try {
      if (!participant || !this.#room.isConnected) {
        throw new Error('the room is not connected');
      }
      const call = participant.publishTranscription({
        participantIdentity: target.participantIdentity,
        trackSid: target.trackSid,
        segments: [
          {
            id: segment.id,
            text: segment.text,
            startTime: 0n,
            endTime: 0n,
            language: segment.language ?? '',
            final: segment.final,
          },
        ],
      });
      // An abandoned call may still fail later: that is not an unhandled rejection.
      call.catch(() => {});
      await withDeadline(
        call,
        this.#timeoutMs,
        `publishTranscription did not answer within ${this.#timeoutMs} ms`,
      );
      this.#published++;
    } catch (error) {
      this.#failures++;
      if (error instanceof DeadlineError) this.#timeouts++;
      if (this.#failures === 1 || this.#failures % this.#logEvery === 0) {
        this.#logger_().warn(
          { failures: this.#failures, segmentId: segment.id, final: segment.final },
          `publishing a transcription failed (${errorMessage(error)}); the conversation goes on`,
        );
      }
    }
  }

  #logger_(): Logger {
    return this.#logger ?? log();
  }
}

export interface RoomTextOutputOptions {
  /**
   * 'append' (the agent: each capture adds words to the segment) or 'replace'
   * (the user: each capture is the segment's latest hypothesis).
   */
  mode: 'append' | 'replace';
  /** Read at each publish: the linked participant and track can change. Undefined: nothing is published. */
  target: () => TranscriptionTarget | undefined;
  language?: string;
}

/** A new segment id, as LiveKit's own clients and the Python agents make them. */
export function transcriptionSegmentId(): string {
  return `SG_${randomBytes(6).toString('hex')}`;
}

/** A TextOutput that publishes LiveKit transcriptions: segment ids `SG_…`, `final` on flush. */
export class RoomTextOutput implements TextOutput {
  readonly #publisher: TranscriptionPublisher;
  readonly #options: RoomTextOutputOptions;
  #segmentId = transcriptionSegmentId();
  #text = '';
  #captured = false;

  constructor(publisher: TranscriptionPublisher, options: RoomTextOutputOptions) {
    this.#publisher = publisher;
    this.#options = options;
  }

  /** The id of the segment being captured (a new one after each flush). */
  get segmentId(): string {
    return this.#segmentId;
  }

  async captureText(text: string | TimedText): Promise<void> {
    const piece = typeof text === 'string' ? text : text.text;
    if (this.#options.mode === 'append') {
      if (piece === '') return;
      this.#text += piece;
    } else {
      this.#text = piece;
    }
    this.#captured = true;
    this.#send(false);
  }

  flush(): void {
    if (this.#captured) this.#send(true);
    this.#segmentId = transcriptionSegmentId();
    this.#text = '';
    this.#captured = false;
  }

  #send(final: boolean): void {
    const target = this.#options.target();
    if (!target) return;
    this.#publisher.publish(target, {
      id: this.#segmentId,
      // Pieces carry their leading space; the segment itself starts with a word.
      text: this.#options.mode === 'append' ? this.#text.trimStart() : this.#text,
      final,
      language: this.#options.language,
    });
  }
}
