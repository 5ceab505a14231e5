// CONTRACT for issue 12 (agreed before implementation; owner: room-in).
import type { AudioFrame } from '@livekit/rtc-node';
import type { AudioInput } from '../io.js';
import type { RoomSurface } from './surface.js';

export interface RoomAudioInputOptions {
  /** Rate the pipeline wants (default 24000); the AudioStream resamples. */
  sampleRate?: number;
  /** Frames of this many ms (default 20). */
  frameSizeMs?: number;
  /** Most audio queued for the pipeline; beyond it the oldest frames are dropped and counted (default 1000 ms). */
  queueMs?: number;
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
  readonly sampleRate: number = 24000;
  readonly numChannels = 1;

  constructor(_room: RoomSurface, _options: RoomAudioInputOptions = {}) {
    throw new Error('not implemented');
  }

  /** Listens to this participant's microphone from now on (`undefined`: nobody). */
  setParticipant(_identity: string | undefined): void {
    throw new Error('not implemented');
  }

  /** Sid of the microphone track being read, if any (for transcriptions). */
  get trackSid(): string | undefined {
    throw new Error('not implemented');
  }

  get droppedFrames(): number {
    throw new Error('not implemented');
  }

  [Symbol.asyncIterator](): AsyncIterator<AudioFrame> {
    throw new Error('not implemented');
  }

  async close(): Promise<void> {
    throw new Error('not implemented');
  }
}
