// What the room binding's tests need from a room, written once so the same
// test bodies run against FakeRoom (fast, in every `pnpm test`) and against a
// real room on the LiveKit stand-in (rtc-node over WebRTC, in the e2e run).
//
// Every step resolves once the agent's room has seen its effect (the event the
// binding reacts to), so a body can assert on the binding's state right after
// it on either room: FakeRoom emits at once, a real room some milliseconds later.

import type { voice } from '@agents/core';
import type {
  AudioStream,
  DisconnectReason,
  ParticipantKind,
  TrackSource,
  Transcription,
} from '@livekit/rtc-node';
import { it } from 'vitest';

/** The agent's room as the binding gets it, plus what the tests inspect on it. */
export type DriverRoom = voice.RoomSurface & {
  listenerCount(event: string | symbol): number;
  eventNames(): (string | symbol)[];
  readonly localParticipant?: voice.RoomLocalParticipant & {
    readonly trackPublications: ReadonlyMap<string, { readonly sid?: string }>;
  };
};

export interface RoomDriver {
  /** The agent's room, connected: what the binding is given. */
  readonly room: DriverRoom;
  /** A user joins; resolves once the agent's room emitted `participantConnected`. */
  join(identity: string, options?: { kind?: ParticipantKind }): Promise<RemoteUser>;
  /** The room ends for the agent (deleted); resolves after the agent's `disconnected`. */
  closeRoom(): Promise<void>;
  /** 'media': the media path drops and comes back (a resume); 'full': rtc-node's full reconnect. */
  simulateReconnect(mode: 'media' | 'full'): Promise<void>;
  /** Closes everything the driver made; the binding is closed before. */
  dispose(): Promise<void>;
}

export interface RemoteUser {
  readonly identity: string;
  /** Publishes a microphone; resolves once the agent's room emitted `trackPublished`. */
  publishMicrophone(options?: { source?: TrackSource }): Promise<RemoteMic>;
  /** The transcriptions this user received, in order. */
  readonly transcriptions: readonly Transcription[];
  /** The agent's audio as this user hears it, once subscribed. */
  hearAgent(options?: { sampleRate?: number }): Promise<AudioStream>;
  /** Leaves; resolves once the agent's room emitted `participantDisconnected`. */
  leave(reason?: DisconnectReason): Promise<void>;
}

export interface RemoteMic {
  /** The publication's sid, as the agent's room knows it. */
  readonly sid: string;
  /** 16-bit mono PCM at 48 kHz, in real time; silence while muted; stops on `signal` or unpublish. */
  play(pcm: Int16Array, options?: { signal?: AbortSignal }): Promise<void>;
  /** Resolves once the agent's room emitted `trackMuted`. */
  mute(): Promise<void>;
  unmute(): Promise<void>;
  /** Resolves once the agent's room emitted `trackUnpublished`. */
  unpublish(): Promise<void>;
}

/** What a room can't do that some case needs, with the reason: the case is skipped on it. */
export type Capability = 'resume' | 'setSubscribed' | 'subscriptionConfirmed';

export interface DriverKind {
  readonly name: string;
  readonly cannot: Partial<Record<Capability, string>>;
  create(options?: { autoSubscribe?: boolean }): Promise<RoomDriver>;
}

/**
 * `it`, or `it.skip` with the reason in the title when `kind` cannot do what
 * the case needs. ROOM_DRIVER_UNSKIP=1 runs them anyway: the reproduction of
 * what a room lacks, and the check that a fix made the skip unneeded.
 */
export function itNeeds(kind: DriverKind, needs: Capability[]) {
  const reasons = needs.map((need) => kind.cannot[need]).filter(Boolean);
  if (reasons.length === 0 || process.env.ROOM_DRIVER_UNSKIP) return it;
  return (title: string, fn: () => Promise<void>) =>
    it.skip(`${title} [not on ${kind.name}: ${reasons.join('; ')}]`, fn);
}

/**
 * Listeners per event: what the binding added is what it must remove. Not
 * `tokenRefreshed`: rtc-node's RemoteAudioTrack adds one itself while subscribed.
 */
export function listenerCounts(room: DriverRoom): Record<string, number> {
  const out: Record<string, number> = {};
  for (const event of room.eventNames()) {
    if (event !== 'tokenRefreshed') out[String(event)] = room.listenerCount(event);
  }
  return out;
}
