// CONTRACT for issue 11 (agreed before implementation): the VoiceAssistant talks to the world
// only through these interfaces; bindings (file/console now, room next) implement them.
import type { AudioFrame, DisconnectReason } from '@livekit/rtc-node';
import type { TypedEventEmitter } from '../utils/emitter.js';

/**
 * The user's audio, one stream for the assistant's life. Ends only when
 * closed (or, for a file, when the file is done and the binding says so).
 * A binding keeps at most ~1 s queued; on overflow it drops the oldest
 * frames and counts them (`droppedFrames`).
 */
export interface AudioInput extends AsyncIterable<AudioFrame> {
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly droppedFrames: number;
  close(): Promise<void>;
}

/** How a segment of agent audio ended at the listener's ear. */
export interface PlaybackFinished {
  segmentId: string;
  /** Seconds of the segment actually played (heard), from its first sample. */
  playbackPosition: number;
  /** Cut short by `clearBuffer()`. */
  interrupted: boolean;
}

export interface AudioOutputEvents {
  playback_started: { segmentId: string; at: number };
  playback_finished: PlaybackFinished;
}

/**
 * Where the agent's voice goes, with playout tracking. Frames of one segment
 * go in with `captureFrame` (resolves once buffered: a bounded buffer gives
 * backpressure), `flush()` ends the segment. The binding knows what has
 * actually been played; `waitForPlayout` resolves when a segment has been
 * played out or cleared.
 *
 * Times (`at`) come from one monotonic clock, `performance.now()` in ms, or
 * the binding's virtual clock in tests (then the same clock the assistant is
 * given).
 */
export interface AudioOutput {
  readonly sampleRate: number;
  readonly numChannels: number;
  /** `pause()`/`resume()` keep the unplayed audio (false interruptions resume without loss). */
  readonly canPause: boolean;
  /** Buffers a frame of the open segment (opening one if none is open). */
  captureFrame(frame: AudioFrame): Promise<void>;
  /** Ends the open segment; returns its id ('' when nothing was captured since the last flush). */
  flush(): string;
  /** Interrupt: fades out within ~20 ms and drops everything unplayed; the segment finishes `interrupted`. */
  clearBuffer(): void;
  /** Fades to silence within ~20 ms, keeping unplayed audio. */
  pause(): void;
  /** Plays on from the exact sample where `pause()` stopped. */
  resume(): void;
  /** Output gain 0..1 applied from now (ducking while the user may be speaking). */
  setVolume(gain: number): void;
  /** Resolves when that segment (default: the last flushed one) has finished playing or was cleared. */
  waitForPlayout(segmentId?: string, signal?: AbortSignal): Promise<PlaybackFinished>;
  /** Seconds of the open (or last) segment played so far. */
  readonly playedSeconds: number;
  /**
   * Optional: reports the level of what is heard (RMS, 0..1 of full scale)
   * over each stretch of played audio [at, at + ms), for a voice.Timeline;
   * `undefined` stops it. A binding that cannot tell leaves it out.
   */
  setLevelListener?(listener: ((at: number, ms: number, rms: number) => void) | undefined): void;
  on<E extends keyof AudioOutputEvents>(
    event: E,
    listener: (payload: AudioOutputEvents[E]) => void,
  ): this;
  off<E extends keyof AudioOutputEvents>(
    event: E,
    listener: (payload: AudioOutputEvents[E]) => void,
  ): this;
  close(): Promise<void>;
}

/** Text with optional timing in seconds from the segment's first sample. */
export interface TimedText {
  text: string;
  start?: number;
  end?: number;
}

/**
 * Where transcripts go (console lines, room transcriptions). For the agent,
 * each `captureText` adds the next word(s) of the segment as they are played
 * (a `TimedText`); for the user, each `captureText` is the segment's current
 * hypothesis (an interim transcript, replacing the previous one) and `flush()`
 * makes the last one final.
 */
export interface TextOutput {
  captureText(text: string | TimedText): Promise<void>;
  /** Ends the current segment of text. */
  flush(): void;
}

/**
 * Everything a VoiceAssistant needs from a binding. `agentTranscript` gets the
 * agent's words in step with playout; `userTranscript` the user's (interim
 * and final) words.
 */
export interface VoiceIO {
  input: AudioInput;
  output: AudioOutput;
  agentTranscript?: TextOutput;
  userTranscript?: TextOutput;
  /** Monotonic ms clock shared by input and output (default `performance.now`). */
  now?: () => number;
  /**
   * Runs `callback` after `ms` on the same clock as `now`, returning a cancel
   * function (default `setTimeout`). A binding with a virtual clock supplies
   * it, so the assistant's endpointing and interruption timers follow that clock.
   */
  setTimer?: (ms: number, callback: () => void) => () => void;
  /**
   * A room binding says which participant it listens to; the assistant
   * re-emits these as its own events. Absent for files and the console.
   */
  participants?: ParticipantLinkSource;
}

/** Why the binding stopped listening to a participant. */
export type UnlinkReason =
  /** The participant left the room (`disconnectReason` says how). */
  | 'left'
  /** `unlinkParticipant()` or `linkParticipant()` of someone else. */
  | 'unlinked'
  /** The binding (or the room) closed. */
  | 'closed';

export interface ParticipantLinkEvents {
  participant_linked: { identity: string };
  participant_unlinked: {
    identity: string;
    reason: UnlinkReason;
    disconnectReason?: DisconnectReason;
  };
}

/**
 * The `on`/`off` of a `TypedEventEmitter<ParticipantLinkEvents>`, and who is
 * linked now (a binding may link before anyone listens).
 */
export type ParticipantLinkSource = Pick<TypedEventEmitter<ParticipantLinkEvents>, 'on' | 'off'> & {
  readonly linkedIdentity?: string | undefined;
};
