// CONTRACT for issue 12 (agreed before implementation; owner: room-out).
import type { AudioFrame } from '@livekit/rtc-node';
import type { AudioOutput, AudioOutputEvents, PlaybackFinished } from '../io.js';
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
  /** Deadline for publishing the track (default 10 s). */
  publishTimeoutMs?: number;
  /**
   * The first audio waits for a remote subscriber at most this long, so the
   * greeting is not spoken to nobody (default 10 s); then it plays anyway.
   */
  subscriberTimeoutMs?: number;
}

/**
 * The agent's voice in a room: a `LocalAudioTrack` fed by an `AudioSource`
 * with a small queue, with the playout tracking the AudioOutput contract
 * promises (segments, playhead, pause/resume without loss, clear with a fade).
 */
export class RoomAudioOutput implements AudioOutput {
  readonly sampleRate: number = 24000;
  readonly numChannels = 1;
  readonly canPause = true;

  /** Publishes the track on `room.localParticipant` (the room must be connected). */
  static async publish(
    _room: RoomSurface,
    _options: RoomAudioOutputOptions = {},
  ): Promise<RoomAudioOutput> {
    throw new Error('not implemented');
  }

  /** Sid of the published track (for transcriptions). */
  get trackSid(): string | undefined {
    throw new Error('not implemented');
  }

  captureFrame(_frame: AudioFrame): Promise<void> {
    throw new Error('not implemented');
  }
  flush(): string {
    throw new Error('not implemented');
  }
  clearBuffer(): void {
    throw new Error('not implemented');
  }
  pause(): void {
    throw new Error('not implemented');
  }
  resume(): void {
    throw new Error('not implemented');
  }
  setVolume(_gain: number): void {
    throw new Error('not implemented');
  }
  waitForPlayout(_segmentId?: string, _signal?: AbortSignal): Promise<PlaybackFinished> {
    throw new Error('not implemented');
  }
  get playedSeconds(): number {
    throw new Error('not implemented');
  }
  on<E extends keyof AudioOutputEvents>(
    _event: E,
    _listener: (payload: AudioOutputEvents[E]) => void,
  ): this {
    throw new Error('not implemented');
  }
  off<E extends keyof AudioOutputEvents>(
    _event: E,
    _listener: (payload: AudioOutputEvents[E]) => void,
  ): this {
    throw new Error('not implemented');
  }
  /** Stops playing, unpublishes the track (bounded), closes the source. */
  async close(): Promise<void> {
    throw new Error('not implemented');
  }
}
