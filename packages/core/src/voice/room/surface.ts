// CONTRACT for issue 12 (agreed before implementation): the part of
// `@livekit/rtc-node`'s Room that the room binding uses, written structurally
// so that a real `Room` satisfies it (checked in surface-check.ts) and a test
// stand-in (`FakeRoom` in @agents/testing) can implement it without a server.
// Nothing here is new API: every member mirrors rtc-node's type of the same name.
import type {
  AudioFrame,
  DisconnectReason,
  LocalTrack,
  ParticipantKind,
  Track,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  Transcription,
} from '@livekit/rtc-node';

/** A remote participant's track publication (rtc-node `RemoteTrackPublication`). */
export interface RoomRemotePublication {
  readonly sid: string | undefined;
  readonly name: string | undefined;
  readonly kind: TrackKind | undefined;
  readonly source: TrackSource | undefined;
  readonly muted: boolean | undefined;
  readonly subscribed: boolean;
  /** Set once subscribed: an `AudioStream` reads it. */
  readonly track?: Track;
  setSubscribed(subscribed: boolean): void;
}

/** rtc-node `RemoteParticipant`. */
export interface RoomRemoteParticipant {
  readonly sid: string | undefined;
  readonly identity: string;
  readonly name: string | undefined;
  readonly kind: ParticipantKind;
  readonly attributes: Record<string, string>;
  readonly disconnectReason: DisconnectReason | undefined;
  readonly trackPublications: ReadonlyMap<string, RoomRemotePublication>;
}

/** rtc-node `LocalTrackPublication`. */
export interface RoomLocalPublication {
  readonly sid: string | undefined;
  /** Resolves when a remote participant first subscribes (no deadline of its own). */
  waitForSubscription(): Promise<void>;
}

/** rtc-node `LocalParticipant`. */
export interface RoomLocalParticipant {
  readonly sid: string | undefined;
  readonly identity: string;
  publishTrack(track: LocalTrack, options: TrackPublishOptions): Promise<RoomLocalPublication>;
  unpublishTrack(trackSid: string, stopOnUnpublish?: boolean): Promise<void>;
  publishTranscription(transcription: Transcription): Promise<void>;
}

/** The room events the binding follows, with rtc-node's argument lists. */
export interface RoomSurfaceEvents {
  participantConnected: (participant: RoomRemoteParticipant) => void;
  participantDisconnected: (participant: RoomRemoteParticipant) => void;
  trackPublished: (publication: RoomRemotePublication, participant: RoomRemoteParticipant) => void;
  trackUnpublished: (
    publication: RoomRemotePublication,
    participant: RoomRemoteParticipant,
  ) => void;
  trackSubscribed: (
    track: Track,
    publication: RoomRemotePublication,
    participant: RoomRemoteParticipant,
  ) => void;
  trackUnsubscribed: (
    track: Track,
    publication: RoomRemotePublication,
    participant: RoomRemoteParticipant,
  ) => void;
  /** rtc-node passes the base `TrackPublication` / `Participant` (local ones too). */
  trackMuted: (
    publication: { readonly sid: string | undefined },
    participant: { readonly identity: string },
  ) => void;
  trackUnmuted: (
    publication: { readonly sid: string | undefined },
    participant: { readonly identity: string },
  ) => void;
  disconnected: (reason: DisconnectReason) => void;
  reconnecting: () => void;
  reconnected: () => void;
}

/** rtc-node `Room`, as far as the binding uses it. */
export interface RoomSurface {
  readonly name: string | undefined;
  readonly isConnected: boolean;
  /** Set once connected. */
  readonly localParticipant?: RoomLocalParticipant;
  /** By identity. */
  readonly remoteParticipants: ReadonlyMap<string, RoomRemoteParticipant>;
  // One overload per event (a generic signature would not accept rtc-node's wider event map).
  on(event: 'participantConnected', listener: RoomSurfaceEvents['participantConnected']): this;
  on(
    event: 'participantDisconnected',
    listener: RoomSurfaceEvents['participantDisconnected'],
  ): this;
  on(event: 'trackPublished', listener: RoomSurfaceEvents['trackPublished']): this;
  on(event: 'trackUnpublished', listener: RoomSurfaceEvents['trackUnpublished']): this;
  on(event: 'trackSubscribed', listener: RoomSurfaceEvents['trackSubscribed']): this;
  on(event: 'trackUnsubscribed', listener: RoomSurfaceEvents['trackUnsubscribed']): this;
  on(event: 'trackMuted', listener: RoomSurfaceEvents['trackMuted']): this;
  on(event: 'trackUnmuted', listener: RoomSurfaceEvents['trackUnmuted']): this;
  on(event: 'disconnected', listener: RoomSurfaceEvents['disconnected']): this;
  on(event: 'reconnecting', listener: RoomSurfaceEvents['reconnecting']): this;
  on(event: 'reconnected', listener: RoomSurfaceEvents['reconnected']): this;
  off(event: 'participantConnected', listener: RoomSurfaceEvents['participantConnected']): this;
  off(
    event: 'participantDisconnected',
    listener: RoomSurfaceEvents['participantDisconnected'],
  ): this;
  off(event: 'trackPublished', listener: RoomSurfaceEvents['trackPublished']): this;
  off(event: 'trackUnpublished', listener: RoomSurfaceEvents['trackUnpublished']): this;
  off(event: 'trackSubscribed', listener: RoomSurfaceEvents['trackSubscribed']): this;
  off(event: 'trackUnsubscribed', listener: RoomSurfaceEvents['trackUnsubscribed']): this;
  off(event: 'trackMuted', listener: RoomSurfaceEvents['trackMuted']): this;
  off(event: 'trackUnmuted', listener: RoomSurfaceEvents['trackUnmuted']): this;
  off(event: 'disconnected', listener: RoomSurfaceEvents['disconnected']): this;
  off(event: 'reconnecting', listener: RoomSurfaceEvents['reconnecting']): this;
  off(event: 'reconnected', listener: RoomSurfaceEvents['reconnected']): this;
}

/** Re-exported for bindings and stand-ins that build frames. */
export type { AudioFrame };
