// CONTRACT for issue 12 (agreed before implementation; owner: room-in).
import type { AudioFrame, Track } from '@livekit/rtc-node';
import { newAudioFrame, rtc } from '../../audio/rtc.js';
import { log } from '../../log.js';
import { withDeadline } from '../../utils/deadline.js';
import type { AudioInput } from '../io.js';
import type {
  RoomRemoteParticipant,
  RoomRemotePublication,
  RoomSurface,
  RoomSurfaceEvents,
} from './surface.js';

/** What Silero and the streaming STTs run at, so no stream converts the user's audio again. */
const DEFAULT_SAMPLE_RATE = 16_000;

export interface RoomAudioInputOptions {
  /**
   * Rate the pipeline wants (default 16000); the AudioStream resamples. Silero
   * and the streaming STTs run at 16 kHz: their frames then pass through
   * untouched, where at 24 kHz each stream resampled every frame again (a
   * Silero stream took 1.5x the CPU).
   */
  sampleRate?: number;
  /** Frames of this many ms (default 20). */
  frameSizeMs?: number;
  /** Most audio queued for the pipeline; beyond it the oldest frames are dropped and counted (default 1000 ms). */
  queueMs?: number;
}

/** Silence yielded when the audio stops mid-stream: long enough for VAD and STT to end the utterance. */
const TAIL_MS = 500;
/** Cancelling an AudioStream is local; this only bounds close() if the native side misbehaves. */
const CANCEL_TIMEOUT_MS = 1000;

interface Reading {
  track: Track;
  reader: ReadableStreamDefaultReader<AudioFrame>;
}

/**
 * The linked participant's microphone as one endless AudioInput: it
 * subscribes to the track, reads it with an `AudioStream`, and follows it
 * through unpublish, republish, mute, unsubscribe and reconnect without
 * ending. When the audio stops mid-utterance (mute, unpublish, the
 * participant leaving) it yields a short silence so VAD and STT close the
 * utterance instead of holding the turn open.
 */
export class RoomAudioInput implements AudioInput {
  readonly sampleRate: number = DEFAULT_SAMPLE_RATE;
  readonly numChannels = 1;
  readonly #room: RoomSurface;
  readonly #frameSizeMs: number;
  readonly #maxFrames: number;
  readonly #queue: AudioFrame[] = [];
  #dropped = 0;
  /** Readers waiting for a frame (one consumer is usual; more must not hang). */
  #waiters: (() => void)[] = [];
  #identity: string | undefined;
  #publication: RoomRemotePublication | undefined;
  #reading: Reading | undefined;
  /** Audio was read since the last silence tail: the next stop owes one. */
  #owesTail = false;
  /** Tracks whose stream ended on its own (the track went away): not read again. */
  readonly #ended = new WeakSet<Track>();
  readonly #cancels = new Set<Promise<void>>();
  /** Publications asked to subscribe and not yet subscribed: asked once, not on every event. */
  readonly #asked = new WeakSet<RoomRemotePublication>();
  #closed = false;
  readonly #listeners: { [E in keyof RoomSurfaceEvents]?: RoomSurfaceEvents[E] };

  constructor(room: RoomSurface, options: RoomAudioInputOptions = {}) {
    this.#room = room;
    this.sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
    this.#frameSizeMs = options.frameSizeMs ?? 20;
    this.#maxFrames = Math.max(1, Math.ceil((options.queueMs ?? 1000) / this.#frameSizeMs));
    // Each event only says "something changed": the state rtc-node sets before
    // firing is re-read, so missed or reordered events cannot leave a stale link.
    const refresh = () => this.#refresh();
    this.#listeners = {
      participantConnected: refresh,
      participantDisconnected: refresh,
      trackPublished: refresh,
      trackUnpublished: refresh,
      trackSubscribed: refresh,
      trackUnsubscribed: refresh,
      trackMuted: refresh,
      trackUnmuted: refresh,
      reconnected: refresh,
    };
    for (const [event, listener] of Object.entries(this.#listeners)) {
      room.on(event as 'reconnected', listener as () => void);
    }
  }

  /** Listens to this participant's microphone from now on (`undefined`: nobody). */
  setParticipant(identity: string | undefined): void {
    if (this.#closed || identity === this.#identity) return;
    this.#identity = identity;
    this.#refresh();
  }

  /** Sid of the microphone track being read, if any (for transcriptions). */
  get trackSid(): string | undefined {
    return this.#publication?.sid;
  }

  get droppedFrames(): number {
    return this.#dropped;
  }

  [Symbol.asyncIterator](): AsyncIterator<AudioFrame> {
    return {
      next: async () => {
        for (;;) {
          if (this.#closed) return { done: true, value: undefined };
          const frame = this.#queue.shift();
          if (frame) return { done: false, value: frame };
          // Woken by the next frame or by close(): no deadline needed.
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      },
      return: async () => ({ done: true, value: undefined }),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [event, listener] of Object.entries(this.#listeners)) {
      this.#room.off(event as 'reconnected', listener as () => void);
    }
    this.#stopReading(false);
    this.#publication = undefined;
    this.#queue.length = 0;
    this.#wakeReader();
    await withDeadline(
      Promise.all(this.#cancels),
      CANCEL_TIMEOUT_MS,
      'the microphone AudioStream did not end',
    ).catch((error) => log().warn({ error }, 'RoomAudioInput: close'));
  }

  /** Brings the reading in line with the room: the linked participant's microphone, subscribed and unmuted. */
  #refresh(): void {
    if (this.#closed) return;
    const participant =
      this.#identity === undefined ? undefined : this.#room.remoteParticipants.get(this.#identity);
    const publication = participant && microphoneOf(participant);
    if (publication !== this.#publication) {
      this.#stopReading(true);
      this.#publication = publication;
      if (publication) {
        log().debug(
          { participant: this.#identity, track: publication.sid },
          'RoomAudioInput: microphone linked',
        );
      }
    }
    if (!publication) return;
    if (!publication.subscribed) {
      this.#stopReading(true);
      if (!this.#asked.has(publication)) {
        this.#asked.add(publication);
        publication.setSubscribed(true);
      }
      return;
    }
    this.#asked.delete(publication);
    const track = publication.track;
    if (!track || publication.muted || this.#ended.has(track)) {
      this.#stopReading(true);
      return;
    }
    if (this.#reading?.track === track) return;
    this.#stopReading(true);
    this.#startReading(track);
  }

  #startReading(track: Track): void {
    const stream = new (rtc().AudioStream)(track, {
      sampleRate: this.sampleRate,
      numChannels: 1,
      frameSizeMs: this.#frameSizeMs,
    });
    const reading: Reading = { track, reader: stream.getReader() };
    this.#reading = reading;
    void this.#pump(reading);
  }

  async #pump(reading: Reading): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reading.reader.read();
        if (done || this.#reading !== reading) break;
        this.#owesTail = true;
        this.#push(value);
      }
    } catch (error) {
      if (this.#reading === reading)
        log().warn({ error }, 'RoomAudioInput: reading the microphone failed');
    }
    if (this.#reading !== reading) return;
    // The stream ended without an event of ours (its track went away): wait for the next track.
    this.#ended.add(reading.track);
    this.#stopReading(true);
  }

  /** Ends the current AudioStream; `tail`: yield the silence that closes an utterance. */
  #stopReading(tail: boolean): void {
    const reading = this.#reading;
    this.#reading = undefined;
    if (reading) {
      const cancel = reading.reader.cancel().catch(() => {
        // Already torn down by rtc-node (unsubscribe): nothing left to end.
      });
      this.#cancels.add(cancel);
      void cancel.finally(() => this.#cancels.delete(cancel));
    }
    if (tail && this.#owesTail) {
      this.#owesTail = false;
      const samples = Math.round((this.sampleRate * this.#frameSizeMs) / 1000);
      const count = Math.min(this.#maxFrames, Math.ceil(TAIL_MS / this.#frameSizeMs));
      for (let i = 0; i < count; i++) {
        this.#push(newAudioFrame(new Int16Array(samples), this.sampleRate, 1, samples));
      }
    }
  }

  #push(frame: AudioFrame): void {
    if (this.#queue.length >= this.#maxFrames) {
      this.#queue.shift();
      this.#dropped++;
      if (this.#dropped === 1 || this.#dropped % 500 === 0) {
        log().warn(
          { dropped: this.#dropped },
          'RoomAudioInput: the pipeline is not keeping up; dropping the oldest microphone audio',
        );
      }
    }
    this.#queue.push(frame);
    this.#wakeReader();
  }

  #wakeReader(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The participant's microphone: the audio track with source MICROPHONE, else their first audio track. */
function microphoneOf(participant: RoomRemoteParticipant): RoomRemotePublication | undefined {
  const { TrackKind, TrackSource } = rtc();
  let firstAudio: RoomRemotePublication | undefined;
  for (const publication of participant.trackPublications.values()) {
    if (publication.kind !== TrackKind.KIND_AUDIO) continue;
    if (publication.source === TrackSource.SOURCE_MICROPHONE) return publication;
    firstAudio ??= publication;
  }
  return firstAudio;
}
