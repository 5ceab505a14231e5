// CONTRACT for issue 12 (agreed before implementation; owner: room-in).
import type { DisconnectReason, ParticipantKind } from '@livekit/rtc-node';
import { rtc } from '../../audio/rtc.js';
import { log } from '../../log.js';
import { withDeadline } from '../../utils/deadline.js';
import { TypedEventEmitter } from '../../utils/emitter.js';
import type { ParticipantLinkEvents, TextOutput, UnlinkReason, VoiceIO } from '../io.js';
import { RoomAudioInput, type RoomAudioInputOptions } from './input.js';
import { RoomAudioOutput, type RoomAudioOutputOptions } from './output.js';
import type { RoomRemoteParticipant, RoomSurface } from './surface.js';
import {
  RoomTextOutput,
  TranscriptionPublisher,
  type TranscriptionPublisherOptions,
} from './transcription.js';

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

/** The whole of close(): input, output and the last transcriptions. */
const CLOSE_TIMEOUT_MS = 3000;
/** The share of it the transcription publisher gets to publish what is queued. */
const PUBLISHER_CLOSE_MS = 1500;

/**
 * Kinds never linked by default: other agents (their voice is not the
 * user's), and egress, which records the room and publishes no voice.
 * Ingress (a user's stream pushed in over RTMP/WHIP), SIP callers and the
 * connector/bridge kinds carry a person's audio, so they are linked; a fixed
 * identity links anyone.
 */
let notUsers: ReadonlySet<ParticipantKind> | undefined;
// Built on first use, not at import: the enum lives in rtc-node, which loads lazily.
const notUserKinds = (): ReadonlySet<ParticipantKind> => {
  const { ParticipantKind } = rtc();
  notUsers ??= new Set([ParticipantKind.AGENT, ParticipantKind.EGRESS]);
  return notUsers;
};

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
  readonly input: RoomAudioInput;
  readonly output: RoomAudioOutput;
  readonly agentTranscript: TextOutput | undefined;
  readonly userTranscript: TextOutput | undefined;
  readonly #room: RoomSurface;
  readonly #publisher: TranscriptionPublisher | undefined;
  /** Who to listen to (option or linkParticipant); undefined: the first user. */
  #wanted: string | undefined;
  #linked: string | undefined;
  /** After unlinkParticipant(): only someone joining from now on is linked. */
  #joinersOnly = false;
  #closing: Promise<void> | undefined;
  /**
   * Events held back until create() has returned: a participant already in
   * the room is linked during create(), and its `participant_linked` must
   * reach listeners attached right after `await RoomIO.create(...)`.
   */
  #held: (() => void)[] | undefined = [];
  readonly #onConnected = (participant: RoomRemoteParticipant) => {
    if (this.#linked === undefined && this.#accepts(participant)) this.#link(participant.identity);
  };
  readonly #onDisconnected = (participant: RoomRemoteParticipant) => {
    if (participant.identity !== this.#linked) return;
    this.#unlink('left', participant.disconnectReason);
    this.#linkPresent();
  };
  readonly #onRoomDisconnected = () => {
    if (this.#linked !== undefined) this.#unlink('closed');
  };

  private constructor(
    room: RoomSurface,
    input: RoomAudioInput,
    output: RoomAudioOutput,
    options: RoomIOOptions,
  ) {
    super();
    this.#room = room;
    this.input = input;
    this.output = output;
    this.#wanted = options.participantIdentity;
    if (options.transcription === false) {
      this.agentTranscript = undefined;
      this.userTranscript = undefined;
      return;
    }
    const publisher = new TranscriptionPublisher(room, options.transcriptionPublisher);
    this.#publisher = publisher;
    const agent = room.localParticipant?.identity ?? '';
    this.agentTranscript = new RoomTextOutput(publisher, {
      mode: 'append',
      target: () => {
        const trackSid = output.trackSid;
        return trackSid ? { participantIdentity: agent, trackSid } : undefined;
      },
    });
    this.userTranscript = new RoomTextOutput(publisher, {
      mode: 'replace',
      target: () => {
        const identity = this.#linked;
        const trackSid = input.trackSid;
        return identity && trackSid ? { participantIdentity: identity, trackSid } : undefined;
      },
    });
  }

  /**
   * Publishes the agent's track (the room must be connected) and starts
   * linking. A participant already in the room is linked at once
   * (`linkedIdentity`); its `participant_linked` event comes just after
   * create() resolves, so listeners attached then hear it.
   */
  static async create(room: RoomSurface, options: RoomIOOptions = {}): Promise<RoomIO> {
    if (!room.isConnected || !room.localParticipant) {
      throw new Error(
        'RoomIO needs a connected room: connect to the room first: await ctx.connect()',
      );
    }
    const input = new RoomAudioInput(room, options.input);
    let output: RoomAudioOutput;
    try {
      output = await RoomAudioOutput.publish(room, options.output);
    } catch (error) {
      await input.close();
      throw error;
    }
    const io = new RoomIO(room, input, output, options);
    room.on('participantConnected', io.#onConnected);
    room.on('participantDisconnected', io.#onDisconnected);
    room.on('disconnected', io.#onRoomDisconnected);
    io.#linkPresent();
    setImmediate(() => {
      const held = io.#held ?? [];
      io.#held = undefined;
      for (const emit of held) emit();
    });
    return io;
  }

  /** The participant events, for the assistant (`VoiceIO.participants`). */
  get participants(): this {
    return this;
  }

  /** Identity of the participant listened to, if any. */
  get linkedIdentity(): string | undefined {
    return this.#linked;
  }

  /** Listens to this participant from now on (when they are in the room, or once they join). */
  linkParticipant(identity: string): void {
    if (this.#closing) return;
    this.#wanted = identity;
    this.#joinersOnly = false;
    if (this.#linked === identity) return;
    if (this.#linked !== undefined) this.#unlink('unlinked');
    this.#linkPresent();
  }

  /** Stops listening; with no fixed identity, the next participant to join is linked. */
  unlinkParticipant(): void {
    if (this.#closing) return;
    this.#joinersOnly = true;
    if (this.#linked !== undefined) this.#unlink('unlinked');
  }

  /** Stops input and output, publishes what transcriptions are queued, unpublishes the track: bounded. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#room.off('participantConnected', this.#onConnected);
    this.#room.off('participantDisconnected', this.#onDisconnected);
    this.#room.off('disconnected', this.#onRoomDisconnected);
    if (this.#linked !== undefined) this.#unlink('closed');
    const parts = [this.input.close(), this.output.close()];
    if (this.#publisher) parts.push(this.#publisher.close(PUBLISHER_CLOSE_MS));
    await withDeadline(
      Promise.allSettled(parts),
      CLOSE_TIMEOUT_MS,
      `RoomIO: close took longer than ${CLOSE_TIMEOUT_MS} ms`,
    ).catch((error) => log().warn({ error }, 'RoomIO: close'));
  }

  /** Whether `participant` may be linked now without being named. */
  #accepts(participant: RoomRemoteParticipant): boolean {
    if (this.#wanted !== undefined) return participant.identity === this.#wanted;
    if (participant.identity === this.#room.localParticipant?.identity) return false;
    return !notUserKinds().has(participant.kind);
  }

  /** Links the wanted participant, or the first user, among those in the room. */
  #linkPresent(): void {
    if (this.#linked !== undefined || this.#joinersOnly || !this.#room.isConnected) return;
    for (const participant of this.#room.remoteParticipants.values()) {
      if (this.#accepts(participant)) {
        this.#link(participant.identity);
        return;
      }
    }
  }

  #link(identity: string): void {
    this.#joinersOnly = false;
    this.#linked = identity;
    this.input.setParticipant(identity);
    log().info({ participant: identity }, 'RoomIO: listening to participant');
    this.#emit(() => this.emit('participant_linked', { identity }));
  }

  #unlink(reason: UnlinkReason, disconnectReason?: DisconnectReason): void {
    const identity = this.#linked;
    if (identity === undefined) return;
    this.#linked = undefined;
    this.input.setParticipant(undefined);
    log().info({ participant: identity, reason, disconnectReason }, 'RoomIO: participant unlinked');
    const event = {
      identity,
      reason,
      ...(disconnectReason === undefined ? {} : { disconnectReason }),
    };
    this.#emit(() => this.emit('participant_unlinked', event));
  }

  #emit(emit: () => void): void {
    if (this.#held) this.#held.push(emit);
    else emit();
  }
}

/**
 * Disconnect reasons after which a participant is not coming back: they hung
 * up (CLIENT_INITIATED), were removed (PARTICIPANT_REMOVED), the room is gone
 * (ROOM_DELETED, ROOM_CLOSED), or a SIP call ended or never connected
 * (USER_REJECTED, USER_UNAVAILABLE, SIP_TRUNK_FAILURE). The others are
 * network or server trouble the client reconnects from (SIGNAL_CLOSE,
 * CONNECTION_TIMEOUT, MEDIA_FAILURE, SERVER_SHUTDOWN, MIGRATION,
 * STATE_MISMATCH, JOIN_FAILURE), or the same person joining again
 * (DUPLICATE_IDENTITY: the new connection is already in the room), or
 * unknown (undefined, UNKNOWN_REASON: also what a full reconnect reports).
 */
let goneForGood: ReadonlySet<DisconnectReason> | undefined;
const goneForGoodReasons = (): ReadonlySet<DisconnectReason> => {
  const { DisconnectReason } = rtc();
  goneForGood ??= new Set([
    DisconnectReason.CLIENT_INITIATED,
    DisconnectReason.PARTICIPANT_REMOVED,
    DisconnectReason.ROOM_DELETED,
    DisconnectReason.ROOM_CLOSED,
    DisconnectReason.USER_REJECTED,
    DisconnectReason.USER_UNAVAILABLE,
    DisconnectReason.SIP_TRUNK_FAILURE,
  ]);
  return goneForGood;
};

/** Disconnect reasons after which a participant is not coming back (hung up, removed, room deleted). */
export function leftForGood(reason: DisconnectReason | undefined): boolean {
  return reason !== undefined && goneForGoodReasons().has(reason);
}
