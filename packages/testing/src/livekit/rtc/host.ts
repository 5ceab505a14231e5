import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Logger, log } from '@agents/core';
import {
  DataPacket,
  type DataPacket_Kind,
  DisconnectReason,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  type ParticipantInfo,
  ParticipantInfo_Kind,
  type ServerInfo,
  SignalResponse,
  type TrackInfo,
} from '@livekit/protocol';
import type { ClaimGrants } from 'livekit-server-sdk';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ParticipantKind, RoomStore } from '../rooms.js';
import { ForwardedTrack } from './forwarded-track.js';
import { type SessionHost, SignalSession } from './session.js';
import { loadWrtc, type MediaStreamTrack, type Wrtc } from './wrtc.js';

/** The real server's keepalive: clients ping every 5 s and give up after 15 s of silence. */
const PING_INTERVAL_S = 5;
const PING_TIMEOUT_S = 15;
const MAX_SIGNAL_FRAME_BYTES = 1024 * 1024;

/** Why a join was refused, as the real server answers it (status and plain-text body). */
export interface JoinRefusal {
  status: 400 | 401 | 404 | 500;
  message: string;
}

/**
 * Media rooms: the client side of the server (`/rtc`), with a small
 * selective forwarding unit on libwebrtc. Room state (who is in, what they
 * publish, which jobs that starts) stays in the `RoomStore`; this adds the
 * signalling sessions, the forwarding of audio and the relaying of data.
 */
export class RtcHost implements SessionHost {
  readonly #rooms: RoomStore;
  readonly #serverInfo: () => ServerInfo;
  readonly #log: Logger;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Map<string, SignalSession>(); // by participant sid
  readonly #tracks = new Map<string, ForwardedTrack>(); // by track sid
  #wrtc: Wrtc | undefined;

  constructor(rooms: RoomStore, serverInfo: () => ServerInfo) {
    this.#rooms = rooms;
    this.#serverInfo = serverInfo;
    this.#log = log().child({ component: 'livekit-stand-in', part: 'rtc' });
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: MAX_SIGNAL_FRAME_BYTES,
      perMessageDeflate: false,
    });
  }

  /** The real server's checks on a join token, in its order; undefined when it may join. */
  check(grants: ClaimGrants | undefined): JoinRefusal | undefined {
    if (!grants?.video) return { status: 401, message: 'no permissions to access the room' };
    if (!grants.video.roomJoin) return { status: 401, message: 'permissions denied' };
    if (!grants.sub) return { status: 400, message: 'identity cannot be empty' };
    if (!grants.video.room) return { status: 400, message: 'no room name' };
    return undefined;
  }

  /** Loads libwebrtc (once); a refusal names what is missing. */
  async ready(): Promise<JoinRefusal | undefined> {
    try {
      this.#wrtc ??= await loadWrtc();
      return undefined;
    } catch (error) {
      this.#log.error({ err: error }, 'media rooms unavailable');
      return { status: 500, message: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Completes an upgrade whose token passed `check` and after `ready`. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, grants: ClaimGrants, url: URL): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const wrtc = this.#wrtc;
      if (!wrtc) return ws.close(1011);
      if (
        url.searchParams.get('reconnect') === '1' ||
        url.searchParams.get('reconnect') === 'true'
      ) {
        // No resume here: the client is told to rejoin from scratch, as the real server tells
        // a client whose session it no longer has.
        return refuseResume(ws);
      }
      const room = grants.video?.room ?? '';
      let participant: ParticipantInfo;
      try {
        participant = this.#rooms.join(room, {
          identity: grants.sub ?? '',
          name: grants.name,
          metadata: grants.metadata,
          attributes: grants.attributes,
          kind: kindOf(grants.kind),
          roomAgents: grants.roomConfig?.agents,
          permission: {
            canSubscribe: grants.video?.canSubscribe ?? true,
            canPublish: grants.video?.canPublish ?? true,
            canPublishData: grants.video?.canPublishData ?? true,
            hidden: grants.video?.hidden ?? false,
          },
        });
      } catch (error) {
        this.#log.warn({ err: error, room }, 'join refused');
        return ws.close(
          1008,
          error instanceof Error ? error.message.slice(0, 120) : 'join refused',
        );
      }
      const session = new SignalSession({
        wrtc,
        ws,
        log: this.#log,
        room,
        participant,
        autoSubscribe: url.searchParams.get('auto_subscribe') !== '0',
        host: this,
      });
      this.#sessions.set(participant.sid, session);
      const others = this.#rooms
        .participants(room)
        .filter((p) => p.sid !== participant.sid && !p.permission?.hidden);
      session.start(
        new JoinResponse({
          room: this.#rooms.list([room])[0],
          participant,
          otherParticipants: others,
          serverVersion: this.#serverInfo().version,
          serverInfo: this.#serverInfo(),
          subscriberPrimary: true,
          fastPublish: true,
          pingInterval: PING_INTERVAL_S,
          pingTimeout: PING_TIMEOUT_S,
        }),
      );
    });
  }

  /** RoomStore event: tell the others in the room (the participant itself learns from its join). */
  participantChanged(room: string, info: ParticipantInfo): void {
    for (const session of this.#inRoom(room)) {
      if (session.sid !== info.sid) session.update([info]);
    }
  }

  /** RoomStore event: a participant is gone; its session (if any) is told why and closed. */
  participantLeft(_room: string, info: ParticipantInfo): void {
    const session = this.#sessions.get(info.sid);
    if (session) {
      this.#sessions.delete(info.sid);
      session.close(info.disconnectReason);
    }
    for (const [sid, track] of this.#tracks) {
      if (track.publisherSid !== info.sid) continue;
      this.#tracks.delete(sid);
      for (const other of this.#inRoom(track.room)) other.unsubscribe(sid);
      track.stop();
    }
  }

  /** Every session is told the server is going away, as on a real shutdown. */
  close(): void {
    for (const session of [...this.#sessions.values()]) {
      this.#rooms.leave(session.room, session.identity, DisconnectReason.SERVER_SHUTDOWN);
    }
    for (const track of this.#tracks.values()) track.stop();
    this.#tracks.clear();
    this.#sessions.clear();
  }

  // SessionHost: what sessions report.

  active(session: SignalSession): void {
    if (!session.autoSubscribe || !session.participant.permission?.canSubscribe) return;
    for (const track of this.#tracks.values()) {
      if (track.room === session.room && track.publisherSid !== session.sid) {
        session.subscribe(track.sid, track.media, track.streamId);
      }
    }
  }

  trackArrived(session: SignalSession, track: TrackInfo, media: MediaStreamTrack): void {
    const wrtc = this.#wrtc;
    if (!wrtc || session.closed) return;
    const forwarded = new ForwardedTrack(wrtc, session.room, session.sid, track.sid, media);
    this.#tracks.set(track.sid, forwarded);
    // The update carrying the track goes out (participantChanged) before any subscriber offer.
    this.#rooms.attachTrack(session.room, session.identity, track);
    for (const other of this.#inRoom(session.room)) {
      // One not yet active gets the track when it becomes active.
      if (other === session || !other.autoSubscribe || !other.active) continue;
      if (!other.participant.permission?.canSubscribe) continue;
      other.subscribe(track.sid, forwarded.media, forwarded.streamId);
    }
  }

  subscription(session: SignalSession, trackSids: string[], subscribe: boolean): void {
    for (const sid of trackSids) {
      const track = this.#tracks.get(sid);
      if (!track || track.room !== session.room || track.publisherSid === session.sid) continue;
      if (!subscribe) session.unsubscribe(sid);
      else if (session.participant.permission?.canSubscribe) {
        session.subscribe(sid, track.media, track.streamId);
      }
    }
  }

  subscribed(trackSid: string): void {
    const track = this.#tracks.get(trackSid);
    if (!track || track.everSubscribed) return;
    track.everSubscribed = true;
    this.#sessions.get(track.publisherSid)?.trackSubscribed(trackSid);
  }

  trackEnded(session: SignalSession, trackSid: string): void {
    const track = this.#tracks.get(trackSid);
    if (!track) return;
    this.#tracks.delete(trackSid);
    for (const other of this.#inRoom(session.room)) other.unsubscribe(trackSid);
    track.stop();
    this.#rooms.unpublish(session.room, session.identity, trackSid);
  }

  mute(session: SignalSession, trackSid: string, muted: boolean): void {
    if (!this.#rooms.setMuted(session.room, session.identity, trackSid, muted)) {
      this.#log.debug({ trackSid }, 'mute for an unknown track ignored');
    }
  }

  data(session: SignalSession, bytes: Uint8Array, kind: DataPacket_Kind): void {
    if (!session.participant.permission?.canPublishData) return;
    let packet: DataPacket;
    try {
      packet = DataPacket.fromBinary(bytes);
    } catch (error) {
      this.#log.warn({ err: error }, 'malformed data packet dropped');
      return;
    }
    const value = packet.value;
    const fromAgent = session.participant.kind === ParticipantInfo_Kind.AGENT;
    if (value.case === 'transcription' && !fromAgent) return; // only agents may transcribe
    if (value.case === 'metrics') return;
    // The server vouches for the sender; an agent may speak for another in chat and text streams.
    const onBehalf =
      fromAgent &&
      (value.case === 'chatMessage' || value.case === 'streamHeader') &&
      packet.participantIdentity;
    packet.participantSid = session.sid;
    if (!onBehalf) packet.participantIdentity = session.identity;
    packet.kind = kind;
    if (value.case === 'user') {
      value.value.participantSid = session.sid;
      value.value.participantIdentity = session.identity;
      if (packet.destinationIdentities.length === 0) {
        packet.destinationIdentities = value.value.destinationIdentities;
      }
    }
    const to = new Set(packet.destinationIdentities);
    const out = packet.toBinary();
    for (const other of this.#inRoom(session.room)) {
      if (other === session || (to.size > 0 && !to.has(other.identity))) continue;
      other.deliver(out, kind);
    }
  }

  left(session: SignalSession, reason: DisconnectReason): void {
    if (!this.#sessions.has(session.sid)) return;
    if (this.#rooms.hasParticipant(session.room, session.identity)) {
      // Through the store, so jobs, counts and the others' updates follow.
      this.#rooms.leave(session.room, session.identity, reason);
    } else {
      this.#sessions.delete(session.sid);
    }
  }

  *#inRoom(room: string): Iterable<SignalSession> {
    for (const session of this.#sessions.values()) if (session.room === room) yield session;
  }
}

function kindOf(kind: string | undefined): ParticipantKind {
  const kinds: ParticipantKind[] = ['standard', 'agent', 'egress', 'ingress', 'sip'];
  return kinds.find((k) => k === kind) ?? 'standard';
}

function refuseResume(ws: WebSocket): void {
  const leave = new LeaveRequest({
    reason: DisconnectReason.STATE_MISMATCH,
    action: LeaveRequest_Action.RECONNECT,
    canReconnect: true,
  });
  ws.send(new SignalResponse({ message: { case: 'leave', value: leave } }).toBinary());
  ws.close(1000);
}
