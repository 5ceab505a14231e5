// CONTRACT for issue 12 (agreed before implementation; owner: room-tx).
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
}

/**
 * Publishes transcription segments through `room.localParticipant`, one call
 * at a time, from a bounded queue: a newer state of a segment replaces its
 * queued one, a failed or late publish is logged (rate-limited) and counted,
 * and the conversation goes on.
 */
export class TranscriptionPublisher {
  constructor(_room: RoomSurface, _options: TranscriptionPublisherOptions = {}) {
    throw new Error('not implemented');
  }
  publish(
    _target: TranscriptionTarget,
    _segment: { id: string; text: string; final: boolean; language?: string },
  ): void {
    throw new Error('not implemented');
  }
  get failures(): number {
    throw new Error('not implemented');
  }
  get dropped(): number {
    throw new Error('not implemented');
  }
  /** Publishes what is queued, within the deadline, then refuses more. */
  async close(_timeoutMs?: number): Promise<void> {
    throw new Error('not implemented');
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

/** A TextOutput that publishes LiveKit transcriptions: segment ids `SG_…`, `final` on flush. */
export class RoomTextOutput implements TextOutput {
  constructor(_publisher: TranscriptionPublisher, _options: RoomTextOutputOptions) {
    throw new Error('not implemented');
  }
  async captureText(_text: string | TimedText): Promise<void> {
    throw new Error('not implemented');
  }
  flush(): void {
    throw new Error('not implemented');
  }
}
