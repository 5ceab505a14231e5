// CONTRACT for issue 12 (agreed before implementation; owner: room-in).
import type { DisconnectReason } from '@livekit/rtc-node';
import { TypedEventEmitter } from '../../utils/emitter.js';
import type { ParticipantLinkEvents, TextOutput, VoiceIO } from '../io.js';
import type { RoomAudioInput, RoomAudioInputOptions } from './input.js';
import type { RoomAudioOutput, RoomAudioOutputOptions } from './output.js';
import type { RoomSurface } from './surface.js';
import type { TranscriptionPublisherOptions } from './transcription.js';

export interface RoomIOOptions {
  /**
   * Listen to this participant (identity). Default: the first participant who
   * is not an agent (already in the room or joining later), and after they
   * leave, the next one.
   */
  participantIdentity?: string;
  input?: RoomAudioInputOptions;
  output?: RoomAudioOutputOptions;
  /** Publish both sides' transcriptions to the room (default true). */
  transcription?: boolean;
  transcriptionPublisher?: TranscriptionPublisherOptions;
}

/**
 * The VoiceIO of a LiveKit room: the linked participant's microphone in, the
 * agent's track out, transcriptions of both sides published to the room.
 *
 *   const io = await RoomIO.create(room, { participantIdentity: 'alice' });
 *   io.on('participant_unlinked', ({ identity, reason }) => ...);
 *   await assistant.start(io);
 *   ...
 *   await io.close();
 */
export class RoomIO extends TypedEventEmitter<ParticipantLinkEvents> implements VoiceIO {
  declare readonly input: RoomAudioInput;
  declare readonly output: RoomAudioOutput;
  declare readonly agentTranscript: TextOutput | undefined;
  declare readonly userTranscript: TextOutput | undefined;

  /** Publishes the agent's track (the room must be connected) and starts linking. */
  static async create(_room: RoomSurface, _options: RoomIOOptions = {}): Promise<RoomIO> {
    throw new Error('not implemented');
  }

  /** The participant events, for the assistant (`VoiceIO.participants`). */
  get participants(): this {
    return this;
  }

  /** Identity of the participant listened to, if any. */
  get linkedIdentity(): string | undefined {
    throw new Error('not implemented');
  }

  /** Listens to this participant from now on (when they are in the room, or once they join). */
  linkParticipant(_identity: string): void {
    throw new Error('not implemented');
  }

  /** Stops listening; with no fixed identity, the next participant to join is linked. */
  unlinkParticipant(): void {
    throw new Error('not implemented');
  }

  /** Stops input and output, publishes what transcriptions are queued, unpublishes the track: bounded. */
  async close(): Promise<void> {
    throw new Error('not implemented');
  }
}

/** Disconnect reasons after which a participant is not coming back (hung up, removed, room deleted). */
export function leftForGood(_reason: DisconnectReason | undefined): boolean {
  throw new Error('not implemented');
}
