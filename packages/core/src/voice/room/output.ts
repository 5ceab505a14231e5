import type { AudioFrame } from '@livekit/rtc-node';
import { AudioConverter } from '../../audio/converter.js';
import { newAudioFrame } from '../../audio/rtc.js';
import { log } from '../../log.js';
import { withDeadline } from '../../utils/deadline.js';
import { type Listener, TypedEventEmitter } from '../../utils/emitter.js';
import { Future } from '../../utils/future.js';
import { clamp16 } from '../io/recorder.js';
import { PlayoutLedger, type Segment, SegmentQueue } from '../io/segments.js';
import type { AudioOutput, AudioOutputEvents, PlaybackFinished } from '../io.js';
import { PlayedLevels } from './output-levels.js';
import { type PublishedTrack, publishAgentTrack } from './output-publish.js';
import { SourceTimeline } from './output-timeline.js';
import type { RoomSurface } from './surface.js';

export interface RoomAudioOutputOptions {
  /** Rate of the published track (default 24000); frames at other rates are resampled. */
  sampleRate?: number;
  /** Queue of the rtc-node `AudioSource`, in ms (default 200): what a clear must take back. */
  queueSizeMs?: number;
  /** Unplayed audio held in JS beyond the source's queue; `captureFrame` waits past it (default 1000 ms). */
  bufferMs?: number;
  /** Fade of pause, resume, clear and volume changes (default 20 ms). */
  fadeMs?: number;
  /** Name of the published track (default 'agent-voice'). */
  trackName?: string;
  /** Deadline for publishing the track, and for unpublishing it on close (default 10 s). */
  publishTimeoutMs?: number;
  /**
   * The first audio waits for a remote subscriber at most this long, so the
   * greeting is not spoken to nobody (default 10 s); then it plays anyway.
   * The wait starts with the first captured frame.
   */
  subscriberTimeoutMs?: number;
}

/** The native source plays in 10 ms ticks: the source is topped up in steps of at least that. */
const FRAME_MS = 10;
/**
 * Largest frame handed at once. A dry source gets this much in one capture:
 * rtc-node's capture callback can take tens of ms (a busy event loop, a
 * fresh source), and one 10 ms frame would run out before the next arrives.
 */
const MAX_FRAME_MS = 200;
/**
 * Audio a dry source waits for before it starts playing an open segment:
 * started on 20 ms, it would run dry again (a gap) whenever the next frame
 * or the capture callback comes late, as on a busy machine.
 */
const MIN_START_MS = 60;
/** Deadline for a frame already handed to the source before the source is closed. */
const CAPTURE_SETTLE_MS = 1000;
/**
 * A capture whose callback has not come by then is taken as done. The native
 * source calls back within a 10 ms tick once its queue is back to its size
 * (our frames take at most MAX_FRAME_MS to get there); waiting on a lost
 * callback would leave the agent silent for good.
 */
const CAPTURE_DEADLINE_MS = 3000;

/**
 * The agent's voice in a room: a `LocalAudioTrack` fed by an `AudioSource`
 * with a small queue, with the playout tracking the AudioOutput contract
 * promises (segments, playhead, pause/resume without loss, clear with a fade).
 *
 * Unplayed audio stays in a JS `SegmentQueue` until our model of the source's
 * queue (`SourceTimeline`) says it played, so a pause or clear can clear the
 * source and take back what it still held: the pause's fade-out is a faded
 * copy of the audio right after the playhead, and `resume()` hands that same
 * audio again, from the sample where the playhead stopped.
 */
export class RoomAudioOutput implements AudioOutput {
  readonly sampleRate: number = 24000;
  readonly numChannels = 1;
  readonly canPause = true;
  readonly #parts: PublishedTrack;
  readonly #capacity: number;
  readonly #queueMs: number;
  readonly #fadeSamples: number;
  readonly #frameSamples: number;
  readonly #maxFrameSamples: number;
  readonly #minStartSamples: number;
  readonly #subscriberTimeoutMs: number;
  readonly #queue = new SegmentQueue();
  readonly #timeline: SourceTimeline;
  readonly #events = new TypedEventEmitter<AudioOutputEvents>();
  readonly #ledger = new PlayoutLedger((result) => this.#events.emit('playback_finished', result));
  #converter: AudioConverter | undefined;
  #nextId = 1;
  #lastFlushed: string | undefined;
  #last: Segment | undefined;
  /** What was heard, level by level, for a voice.Timeline (only while one listens). */
  readonly #levels: PlayedLevels;
  /** Samples from the playhead on already handed to the source. */
  #handed = 0;
  /** A faded copy of the audio at the playhead when paused or cleared, played first. */
  #tail: Int16Array | undefined;
  #tailHanded = 0;
  #tailPlayed = 0;
  #paused = false;
  #fadeIn = 0;
  #gain = 1;
  #targetGain = 1;
  /** Playing waits for the first subscriber (or its deadline). */
  #gateOpen = false;
  #gateTimer: ReturnType<typeof setTimeout> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The frame being handed: rtc-node's `captureFrame` is asynchronous; one at a time keeps order. */
  #capturing: Promise<void> | undefined;
  #captureTimer: ReturnType<typeof setTimeout> | undefined;
  #captureStallLogged = false;
  /** The queue was cleared while a frame was being handed: clear again once it landed. */
  #clearAgain = false;
  /** What is left to hand is less than a chunk of a segment still open. */
  #starved = false;
  #tickQueued = false;
  #waiters: (() => void)[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(parts: PublishedTrack, options: RoomAudioOutputOptions) {
    this.#parts = parts;
    this.sampleRate = parts.source.sampleRate;
    this.#timeline = new SourceTimeline(this.sampleRate);
    this.#levels = new PlayedLevels(this.sampleRate);
    this.#timeline.clear(parts.primedUntil);
    this.#queueMs = options.queueSizeMs ?? 200;
    this.#capacity = Math.round(((options.bufferMs ?? 1000) * this.sampleRate) / 1000);
    this.#fadeSamples = Math.max(1, Math.round(((options.fadeMs ?? 20) * this.sampleRate) / 1000));
    this.#frameSamples = Math.round((FRAME_MS * this.sampleRate) / 1000);
    this.#maxFrameSamples = Math.round((MAX_FRAME_MS * this.sampleRate) / 1000);
    this.#minStartSamples = Math.round((MIN_START_MS * this.sampleRate) / 1000);
    this.#subscriberTimeoutMs = options.subscriberTimeoutMs ?? 10_000;
    parts.publication.waitForSubscription().then(
      () => this.#openGate(),
      (error: unknown) => {
        log().warn({ err: error }, 'waiting for a subscriber to the agent track failed');
        this.#openGate();
      },
    );
  }

  /** Publishes the track on `room.localParticipant` (the room must be connected). */
  static async publish(
    room: RoomSurface,
    options: RoomAudioOutputOptions = {},
  ): Promise<RoomAudioOutput> {
    return new RoomAudioOutput(await publishAgentTrack(room, options), options);
  }

  /** Sid of the published track (for transcriptions). */
  get trackSid(): string | undefined {
    return this.#parts.publication.sid;
  }

  on<E extends keyof AudioOutputEvents>(
    event: E,
    listener: (payload: AudioOutputEvents[E]) => void,
  ): this {
    this.#events.on(event, listener as Listener<AudioOutputEvents[E]>);
    return this;
  }

  off<E extends keyof AudioOutputEvents>(
    event: E,
    listener: (payload: AudioOutputEvents[E]) => void,
  ): this {
    this.#events.off(event, listener as Listener<AudioOutputEvents[E]>);
    return this;
  }

  get playedSeconds(): number {
    this.#advance();
    return (this.#last?.played ?? 0) / this.sampleRate;
  }

  /** True between `pause()` and `resume()`. */
  get paused(): boolean {
    return this.#paused;
  }

  async captureFrame(frame: AudioFrame): Promise<void> {
    if (this.#closed) throw new Error('the audio output is closed: stop sending it frames');
    const open = this.#queue.open ?? this.#openSegment();
    for (const samples of this.#convert(frame)) this.#queue.append(open, samples);
    this.#startGateTimer();
    this.#tickSoon();
    if (this.#heldInJs() <= this.#capacity) return;
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  flush(): string {
    const open = this.#queue.open;
    if (!open) return '';
    if (this.#converter) {
      for (const frame of this.#converter.flush()) this.#queue.append(open, frame.data);
    }
    this.#queue.close(open);
    this.#lastFlushed = open.id;
    this.#finishPlayedHeads();
    this.#tick();
    return open.id;
  }

  clearBuffer(): void {
    if (this.#closed) return;
    this.#takeBack();
    if (!this.#paused) this.#startTail();
    const cleared = this.#queue.clear();
    this.#converter?.close();
    this.#converter = undefined;
    this.#paused = false;
    this.#fadeIn = 0;
    for (const segment of cleared) this.#ledger.finish(segment, this.sampleRate, true);
    this.#release();
    this.#tick();
  }

  pause(): void {
    if (this.#paused || this.#closed) return;
    this.#takeBack();
    this.#startTail();
    this.#paused = true;
    this.#tick();
  }

  resume(): void {
    if (!this.#paused || this.#closed) return;
    // The rest of the pause's fade-out is taken back too and mixed under the fade-in.
    this.#takeBack();
    this.#paused = false;
    this.#fadeIn = this.#fadeSamples;
    this.#tick();
  }

  setVolume(gain: number): void {
    this.#targetGain = Math.min(1, Math.max(0, gain));
  }

  setLevelListener(listener: ((at: number, ms: number, rms: number) => void) | undefined): void {
    this.#levels.listener = listener;
  }

  waitForPlayout(segmentId?: string, signal?: AbortSignal): Promise<PlaybackFinished> {
    return this.#ledger.wait(segmentId ?? this.#lastFlushed, this.#queue, signal);
  }

  /** Stops playing, unpublishes the track (bounded), closes the source. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#advance();
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#gateTimer);
    this.#converter?.close();
    for (const segment of this.#queue.clear()) this.#ledger.finish(segment, this.sampleRate, true);
    this.#release();
    const { participant, publication, source, track, trackName, publishTimeoutMs } = this.#parts;
    if (this.#capturing) {
      await withDeadline(this.#capturing, CAPTURE_SETTLE_MS, 'capture did not settle').catch(
        () => {},
      );
    }
    clearTimeout(this.#captureTimer);
    source.clearQueue();
    if (publication.sid && this.#parts.room.isConnected) {
      try {
        await withDeadline(
          participant.unpublishTrack(publication.sid),
          publishTimeoutMs,
          `unpublishing took longer than ${publishTimeoutMs} ms`,
        );
      } catch (error) {
        log().warn({ err: error, trackName }, "unpublishing the agent's audio track failed");
      }
    }
    await track.close().catch((error: unknown) => {
      log().warn({ err: error, trackName }, "closing the agent's audio track failed");
    });
  }

  #openSegment(): Segment {
    const segment = this.#queue.openSegment(`seg_${this.#nextId++}`, new Future());
    this.#last = segment;
    return segment;
  }

  #convert(frame: AudioFrame): Int16Array[] {
    if (frame.sampleRate === this.sampleRate && frame.channels === 1) {
      return [frame.data.subarray(0, frame.samplesPerChannel)];
    }
    this.#converter ??= new AudioConverter({ sampleRate: this.sampleRate, numChannels: 1 });
    return this.#converter.push(frame).map((converted) => converted.data);
  }

  #heldInJs(): number {
    return this.#queue.buffered - this.#handed;
  }

  #startGateTimer(): void {
    if (this.#gateOpen || this.#gateTimer !== undefined) return;
    this.#gateTimer = setTimeout(() => {
      log().warn(
        { trackName: this.#parts.trackName, waitedMs: this.#subscriberTimeoutMs },
        'nobody subscribed to the agent track in time: playing anyway',
      );
      this.#openGate();
    }, this.#subscriberTimeoutMs);
  }

  #openGate(): void {
    if (this.#gateOpen) return;
    this.#gateOpen = true;
    clearTimeout(this.#gateTimer);
    // Not at once: the gate may open between two frames of a burst.
    this.#tickSoon();
  }

  /** Clears the source and takes back all it held: the playhead stays where it is. */
  #takeBack(): void {
    this.#advance();
    const now = performance.now();
    if (!this.#timeline.empty || this.#capturing) {
      this.#parts.source.clearQueue();
      this.#clearAgain = this.#capturing !== undefined;
    }
    this.#timeline.clear(now);
    this.#levels.cleared(now);
    this.#handed = 0;
    this.#tailHanded = this.#tailPlayed;
  }

  /** Copies the next fade's worth of audio at the playhead, ramped down, over what is left of a tail. */
  #startTail(): void {
    const ahead = this.#queue.peek(this.#fadeSamples);
    const old = this.#tail?.subarray(this.#tailPlayed);
    const tail = new Int16Array(Math.max(ahead.length, old?.length ?? 0));
    for (let i = 0; i < ahead.length; i++) {
      tail[i] = Math.round(ahead[i]! * this.#gain * (1 - (i + 1) / this.#fadeSamples));
    }
    if (old) for (let i = 0; i < old.length; i++) tail[i] = clamp16(tail[i]! + old[i]!);
    this.#tail = tail.length > 0 ? tail : undefined;
    this.#tailHanded = 0;
    this.#tailPlayed = 0;
  }

  /** Moves the playhead to now: emits playback_started/finished, releases producers. */
  #advance(): void {
    if (this.#closed) return;
    const now = performance.now();
    const played = this.#timeline.advance(now);
    this.#levels.played(now);
    const events: (() => void)[] = [];
    for (const { segment, samples, at } of played.segments) {
      if (!segment.started) {
        segment.started = true;
        events.push(() => this.#events.emit('playback_started', { segmentId: segment.id, at }));
      }
      this.#queue.take(segment, samples);
      this.#handed -= samples;
    }
    if (this.#tail) {
      this.#tailPlayed += played.tailSamples;
      if (this.#tailPlayed >= this.#tail.length) this.#tail = undefined;
    }
    for (const emit of events) emit();
    this.#finishPlayedHeads();
    this.#release();
  }

  /** Finishes the flushed segments at the head whose every sample has played. */
  #finishPlayedHeads(): void {
    for (;;) {
      const head = this.#queue.head;
      if (!head?.flushed || head.buffered > 0) return;
      this.#queue.shift();
      this.#ledger.finish(head, this.sampleRate, false);
    }
  }

  /**
   * A tick once the producer's burst is in: a dry source then gets it in one
   * frame, not just the first 20 ms of it (which could run out before the
   * capture callback of the next one comes back).
   */
  #tickSoon(): void {
    if (this.#tickQueued) return;
    this.#tickQueued = true;
    setImmediate(() => {
      this.#tickQueued = false;
      this.#tick();
    });
  }

  /** Advances the playhead, hands the source what fits, and sets the timer for what is next. */
  #tick(): void {
    if (this.#closed) return;
    this.#advance();
    if (this.#closed) return;
    this.#feed();
    this.#schedule();
  }

  #canHand(): boolean {
    const tailLeft = this.#tail ? this.#tail.length - this.#tailHanded : 0;
    const audio = !this.#paused && this.#gateOpen && this.#heldInJs() > 0;
    return tailLeft > 0 || audio;
  }

  #feed(): void {
    this.#starved = false;
    if (this.#capturing || !this.#canHand()) return;
    const now = performance.now();
    if (this.#timeline.queuedMs(now) > this.#queueMs - 2 * FRAME_MS) return;
    // Fills the source to its mark in one capture (within MAX_FRAME_MS).
    const roomMs = this.#queueMs - FRAME_MS - this.#timeline.queuedMs(now);
    const chunks = Math.floor((roomMs * this.sampleRate) / 1000 / this.#frameSamples);
    const size = Math.min(this.#maxFrameSamples, Math.max(1, chunks) * this.#frameSamples);
    const frame = this.#nextFrame(now, size);
    // Only a piece of the open segment shorter than a chunk: its next frame (or flush) comes back here.
    this.#starved = frame === undefined;
    if (!frame) return;
    this.#capture(frame);
  }

  /** Hands one frame; done when rtc-node calls back, or at CAPTURE_DEADLINE_MS if it never does. */
  #capture(frame: AudioFrame): void {
    let settle!: () => void;
    this.#capturing = new Promise<void>((resolve) => {
      settle = () => {
        if (this.#captureTimer === timer) this.#captureTimer = undefined;
        clearTimeout(timer);
        resolve();
        // A late callback of a capture already taken as done must not end the next one.
        if (this.#capturing === capturing) this.#captured();
      };
    });
    const capturing = this.#capturing;
    const timer = setTimeout(() => {
      if (!this.#captureStallLogged && !this.#closed) {
        this.#captureStallLogged = true;
        log().warn(
          { trackName: this.#parts.trackName, waitedMs: CAPTURE_DEADLINE_MS },
          "the agent's audio source did not confirm a frame in time: going on without it (logged once)",
        );
      }
      settle();
    }, CAPTURE_DEADLINE_MS);
    this.#captureTimer = timer;
    this.#parts.source.captureFrame(frame).then(settle, (error: unknown) => {
      if (!this.#closed) log().warn({ err: error }, 'the agent audio source refused a frame');
      settle();
    });
  }

  #captured(): void {
    this.#capturing = undefined;
    if (this.#clearAgain && !this.#closed) {
      // That frame may have reached the source after the clear: clear again before going on.
      this.#clearAgain = false;
      this.#parts.source.clearQueue();
      const now = performance.now();
      this.#timeline.clear(now);
      this.#levels.cleared(now);
    }
    this.#tick();
  }

  /**
   * The next frame: the head's audio (gain, fade-in) with the tail mixed in;
   * recorded on the timeline. Whole 10 ms chunks only: the native source
   * plays nothing of a partial chunk until more comes, so a short end is
   * padded with silence, and a short piece of an open segment waits for
   * more (undefined).
   */
  #nextFrame(now: number, size: number): AudioFrame | undefined {
    let segment: Segment | undefined;
    let segmentPart: Int16Array = new Int16Array(0);
    if (!this.#paused && this.#gateOpen) {
      let skip = this.#handed;
      for (const candidate of this.#queue.segments) {
        if (skip < candidate.buffered) {
          segment = candidate;
          segmentPart = this.#queue.peek(Math.min(size, candidate.buffered - skip), this.#handed);
          break;
        }
        skip -= candidate.buffered;
      }
    }
    const tail = this.#tail;
    let tailCount = tail ? Math.min(size, tail.length - this.#tailHanded) : 0;
    const content = Math.max(segmentPart.length, tailCount);
    let length = content - (content % this.#frameSamples);
    if (segment && !segment.flushed && tailCount === 0) {
      if (length === 0) return undefined;
      const dry = this.#timeline.queuedMs(now) <= 0;
      // (A queue too small for MIN_START_MS starts on a full frame.)
      if (dry && segmentPart.length < Math.min(this.#minStartSamples, size)) return undefined;
    }
    if (length === 0) length = this.#frameSamples;
    segmentPart = segmentPart.subarray(0, Math.min(segmentPart.length, length));
    tailCount = Math.min(tailCount, length);
    const out = new Int16Array(length);
    for (let i = 0; i < segmentPart.length; i++) out[i] = this.#shape(segmentPart[i]!);
    if (tail) {
      for (let i = 0; i < tailCount; i++) out[i] = clamp16(out[i]! + tail[this.#tailHanded + i]!);
    }
    const startAt = this.#timeline.hand(now, segment, segmentPart.length, tailCount, length);
    if (this.#levels.listening) this.#levels.handed(startAt, out);
    this.#handed += segmentPart.length;
    this.#tailHanded += tailCount;
    return newAudioFrame(out, this.sampleRate, 1, out.length);
  }

  /** Applies the volume (ramped, no zipper noise) and a resume's fade-in to one sample. */
  #shape(sample: number): number {
    if (this.#gain !== this.#targetGain) {
      const step = 1 / this.#fadeSamples;
      this.#gain =
        this.#gain < this.#targetGain
          ? Math.min(this.#targetGain, this.#gain + step)
          : Math.max(this.#targetGain, this.#gain - step);
    }
    let value = sample * this.#gain;
    if (this.#fadeIn > 0) {
      value *= 1 - this.#fadeIn / this.#fadeSamples;
      this.#fadeIn--;
    }
    return clamp16(Math.round(value));
  }

  /** Wakes at the next frame boundary (events, room in the source), or not at all when idle. */
  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = performance.now();
    let wake = this.#timeline.nextBoundary(now);
    if (!this.#capturing && !this.#starved && this.#canHand()) {
      const roomAt = now + this.#timeline.queuedMs(now) - (this.#queueMs - 2 * FRAME_MS);
      wake = wake === undefined ? roomAt : Math.min(wake, roomAt);
    }
    if (wake === undefined) return;
    this.#timer = setTimeout(() => this.#tick(), Math.max(1, Math.ceil(wake - now)));
  }

  /** Lets waiting producers go on once the buffer has room (or nothing will ever play). */
  #release(): void {
    if (!this.#closed && this.#heldInJs() > this.#capacity) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
