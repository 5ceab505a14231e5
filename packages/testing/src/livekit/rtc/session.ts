import type { Logger } from '@agents/core';
import {
  type AddTrackRequest,
  DataPacket_Kind,
  DisconnectReason,
  type JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  type ParticipantInfo,
  ParticipantUpdate,
  Pong,
  RequestResponse,
  RequestResponse_Reason,
  SessionDescription,
  SignalRequest,
  SignalResponse,
  SignalTarget,
  TrackInfo,
  TrackPublishedResponse,
  TrackSubscribed,
  TrackType,
  TrickleRequest,
} from '@livekit/protocol';
import type { WebSocket } from 'ws';
import { newId } from '../ids.js';
import { Peer } from './peer.js';
import type { DataChannel, IceCandidateInit, MediaStreamTrack, RtpSender, Wrtc } from './wrtc.js';

/** Reliable packets held for a receiver whose data channel is not open yet. */
const MAX_HELD_PACKETS = 256;
/** Above this much unsent data a receiver's lossy packets are dropped, as a congested link would. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** add_track requests waiting for their media. */
const MAX_PENDING_TRACKS = 16;

/** What a session asks of the room it is in. */
export interface SessionHost {
  /** A published track's media arrived: the room forwards it. */
  trackArrived(session: SignalSession, track: TrackInfo, media: MediaStreamTrack): void;
  /** The client asks to (un)subscribe tracks by sid. */
  subscription(session: SignalSession, trackSids: string[], subscribe: boolean): void;
  /**
   * The participant is ACTIVE: its subscriber connection is up and the server's data channels
   * on it are open. A real server subscribes a participant to tracks only from then on, so that
   * the first audio sent is not lost to a connection still being set up.
   */
  active(session: SignalSession): void;
  /** A subscriber's connection now carries the track (its answer came back). */
  subscribed(trackSid: string): void;
  /** The client took a track off its publisher connection. */
  trackEnded(session: SignalSession, trackSid: string): void;
  mute(session: SignalSession, trackSid: string, muted: boolean): void;
  /** A data packet from the client, to relay. */
  data(session: SignalSession, bytes: Uint8Array, kind: DataPacket_Kind): void;
  /** The client left, or its signalling connection dropped. */
  left(session: SignalSession, reason: DisconnectReason): void;
}

export interface SessionInit {
  wrtc: Wrtc;
  ws: WebSocket;
  log: Logger;
  room: string;
  participant: ParticipantInfo;
  autoSubscribe: boolean;
  host: SessionHost;
}

/**
 * One participant's signalling connection and its two peer connections,
 * speaking the `/rtc` protocol (v0: a publisher connection the client offers
 * on and a subscriber connection the server offers on, subscriber primary).
 */
export class SignalSession {
  readonly room: string;
  readonly sid: string;
  readonly identity: string;
  readonly autoSubscribe: boolean;
  participant: ParticipantInfo;
  readonly #ws: WebSocket;
  readonly #host: SessionHost;
  readonly #log: Logger;
  readonly #wrtc: Wrtc;
  readonly #publisher: Peer;
  readonly #subscriber: Peer;
  readonly #channels = new Map<DataPacket_Kind, DataChannel>();
  readonly #held: Uint8Array[] = [];
  readonly #pending = new Map<string, TrackInfo>(); // by cid
  readonly #published = new Map<string, TrackInfo>(); // by mid
  readonly #subscriptions = new Map<string, RtpSender>(); // by track sid
  /** Subscriptions offered and not yet answered. */
  readonly #unconfirmed = new Set<string>();
  #active = false;
  #closed = false;

  constructor(init: SessionInit) {
    this.room = init.room;
    this.participant = init.participant;
    this.sid = init.participant.sid;
    this.identity = init.participant.identity;
    this.autoSubscribe = init.autoSubscribe;
    this.#ws = init.ws;
    this.#host = init.host;
    this.#wrtc = init.wrtc;
    this.#log = init.log.child({ room: init.room, participant: this.identity });
    this.#publisher = new Peer(
      init.wrtc,
      this.#log,
      (c) => this.#trickle(c, SignalTarget.PUBLISHER),
      () => {},
    );
    this.#subscriber = new Peer(
      init.wrtc,
      this.#log,
      (c) => this.#trickle(c, SignalTarget.SUBSCRIBER),
      (offer, id) => this.#send({ case: 'offer', value: new SessionDescription({ ...offer, id }) }),
    );
    for (const [name, peer] of [
      ['publisher', this.#publisher],
      ['subscriber', this.#subscriber],
    ] as const) {
      peer.pc.onconnectionstatechange = () => {
        this.#log.debug({ pc: name, state: peer.pc.connectionState }, 'peer connection state');
        if (peer === this.#subscriber) this.#checkActive();
      };
    }
    this.#publisher.pc.ontrack = ({ track, transceiver }) => this.#onTrack(track, transceiver.mid);
    this.#publisher.pc.ondatachannel = ({ channel }) => this.#onClientChannel(channel);
    // Downstream data goes on channels the server opens on the subscriber connection.
    this.#openChannel('_reliable', DataPacket_Kind.RELIABLE, {});
    this.#openChannel('_lossy', DataPacket_Kind.LOSSY, { ordered: false, maxRetransmits: 0 });
    this.#subscriber.pc.createDataChannel('_data_track', { ordered: false, maxRetransmits: 0 });
    init.ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    init.ws.on('close', () => this.#dropped());
    init.ws.on('error', (error) => this.#log.debug({ err: error }, 'signal socket error'));
  }

  /** Subscriber connection up, data channels open: tracks may be subscribed. */
  get active(): boolean {
    return this.#active;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends the join response, then the subscriber offer the client waits for. */
  start(join: JoinResponse): void {
    this.#send({ case: 'join', value: join });
    this.#subscriber.renegotiate();
  }

  /** Others' changes (joins, tracks, leaves), as the real server batches them. */
  update(participants: ParticipantInfo[]): void {
    if (participants.length === 0) return;
    this.#send({ case: 'update', value: new ParticipantUpdate({ participants }) });
  }

  /** Starts receiving a forwarded track: the update carrying it must have been sent first. */
  subscribe(trackSid: string, media: MediaStreamTrack, streamId: string): void {
    if (this.#closed || this.#subscriptions.has(trackSid)) return;
    const stream = new this.#wrtc.MediaStream({ id: streamId });
    const transceiver = this.#subscriber.pc.addTransceiver(media, {
      direction: 'sendonly',
      streams: [stream],
    });
    this.#subscriptions.set(trackSid, transceiver.sender);
    this.#unconfirmed.add(trackSid);
    this.#subscriber.renegotiate();
  }

  unsubscribe(trackSid: string): void {
    const sender = this.#subscriptions.get(trackSid);
    if (!sender || this.#closed) return;
    this.#subscriptions.delete(trackSid);
    this.#subscriber.pc.removeTrack(sender);
    this.#subscriber.renegotiate();
  }

  /** The publisher learns that someone receives its track (rtc-node: `LocalTrackSubscribed`). */
  trackSubscribed(trackSid: string): void {
    this.#send({ case: 'trackSubscribed', value: new TrackSubscribed({ trackSid }) });
  }

  /** A relayed data packet, on the channel of its kind. */
  deliver(bytes: Uint8Array, kind: DataPacket_Kind): void {
    if (this.#closed) return;
    const channel = this.#channels.get(kind);
    if (channel?.readyState === 'open') {
      if (kind === DataPacket_Kind.LOSSY && channel.bufferedAmount > MAX_BUFFERED_BYTES) return;
      channel.send(bytes);
    } else if (kind === DataPacket_Kind.RELIABLE && this.#held.length < MAX_HELD_PACKETS) {
      this.#held.push(bytes);
    }
  }

  /** Ends the session from the server's side: a `leave` the client acts on, then everything closed. */
  close(reason: DisconnectReason, action = LeaveRequest_Action.DISCONNECT): void {
    if (this.#closed) return;
    this.#send({
      case: 'leave',
      value: new LeaveRequest({
        reason,
        action,
        canReconnect: action !== LeaveRequest_Action.DISCONNECT,
      }),
    });
    this.#shutdown();
    this.#ws.close(1000);
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscriptions.clear();
    this.#held.length = 0;
    this.#publisher.close();
    this.#subscriber.close();
  }

  #dropped(): void {
    if (this.#closed) return;
    this.#shutdown();
    // No resume here: a dropped signal ends the participant, and a client coming back rejoins.
    this.#host.left(this, DisconnectReason.SIGNAL_CLOSE);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    let request: SignalRequest;
    try {
      if (!isBinary) throw new Error('text frame');
      request = SignalRequest.fromBinary(data);
    } catch (error) {
      this.#log.warn({ err: error }, 'malformed signal request ignored');
      return;
    }
    const message = request.message;
    switch (message.case) {
      case 'offer':
        this.#publisher
          .answer(message.value.sdp)
          .then((sdp) => {
            this.#send({
              case: 'answer',
              value: new SessionDescription({ type: 'answer', sdp, id: message.value.id }),
            });
            this.#checkUnpublished(message.value.sdp);
          })
          .catch((error: unknown) => this.#failed('publisher offer', error));
        return;
      case 'answer':
        this.#subscriber
          .accept(message.value.sdp, message.value.id)
          .then(() => {
            for (const trackSid of this.#unconfirmed) this.#host.subscribed(trackSid);
            this.#unconfirmed.clear();
          })
          .catch((error: unknown) => this.#failed('subscriber answer', error));
        return;
      case 'trickle':
        this.#onTrickle(message.value);
        return;
      case 'addTrack':
        this.#onAddTrack(message.value);
        return;
      case 'mute':
        this.#host.mute(this, message.value.sid, message.value.muted);
        return;
      case 'leave':
        this.#shutdown();
        this.#ws.close(1000);
        this.#host.left(this, DisconnectReason.CLIENT_INITIATED);
        return;
      case 'ping':
        this.#send({ case: 'pong', value: BigInt(Date.now()) });
        return;
      case 'pingReq':
        this.#send({
          case: 'pongResp',
          value: new Pong({
            lastPingTimestamp: message.value.timestamp,
            timestamp: BigInt(Date.now()),
          }),
        });
        return;
      case 'subscription': {
        const { trackSids, participantTracks, subscribe } = message.value;
        const sids = [...trackSids, ...participantTracks.flatMap((p) => p.trackSids)];
        this.#host.subscription(this, sids, subscribe);
        return;
      }
      default:
        // Track settings, quality and permissions: every track goes to whoever subscribes.
        this.#log.debug({ request: message.case }, 'signal request not acted on');
    }
  }

  #onTrickle(trickle: TrickleRequest): void {
    let candidate: IceCandidateInit;
    try {
      candidate = JSON.parse(trickle.candidateInit) as IceCandidateInit;
    } catch {
      this.#log.warn('malformed ICE candidate ignored');
      return;
    }
    const peer = trickle.target === SignalTarget.SUBSCRIBER ? this.#subscriber : this.#publisher;
    peer.addCandidate(candidate);
  }

  #onAddTrack(request: AddTrackRequest): void {
    if (!this.participant.permission?.canPublish) {
      this.#refuse(
        request,
        RequestResponse_Reason.NOT_ALLOWED,
        'the token does not grant canPublish',
      );
      return;
    }
    if (request.type !== TrackType.AUDIO) {
      const type = TrackType[request.type] ?? String(request.type);
      this.#refuse(
        request,
        RequestResponse_Reason.UNSUPPORTED_TYPE,
        `this LiveKit stand-in forwards audio only, not ${type} tracks`,
      );
      return;
    }
    if (this.#pending.size >= MAX_PENDING_TRACKS) {
      this.#refuse(
        request,
        RequestResponse_Reason.LIMIT_EXCEEDED,
        'too many tracks waiting for media',
      );
      return;
    }
    const track = new TrackInfo({
      sid: newId('TR_'),
      type: request.type,
      name: request.name,
      source: request.source,
      muted: request.muted,
      mimeType: 'audio/opus',
      stereo: request.stereo,
      disableDtx: request.disableDtx,
      stream: request.stream,
    });
    this.#pending.set(request.cid, track);
    this.#send({
      case: 'trackPublished',
      value: new TrackPublishedResponse({ cid: request.cid, track }),
    });
  }

  /** As the real server refuses: a request_response naming the request (the client's publish then fails). */
  #refuse(request: AddTrackRequest, reason: RequestResponse_Reason, message: string): void {
    this.#log.warn({ cid: request.cid, name: request.name }, `add_track refused: ${message}`);
    this.#send({
      case: 'requestResponse',
      value: new RequestResponse({
        reason,
        message,
        request: { case: 'addTrack', value: request },
      }),
    });
  }

  #onTrack(media: MediaStreamTrack, mid: string | null): void {
    if (media.kind !== 'audio') return;
    // The msid's track id is the cid on libwebrtc and Chromium; otherwise the oldest pending track.
    let cid = this.#pending.has(media.id) ? media.id : undefined;
    cid ??= this.#pending.keys().next().value;
    const track = cid === undefined ? undefined : this.#pending.get(cid);
    if (!track || cid === undefined) {
      this.#log.warn({ trackId: media.id }, 'media arrived for a track never announced: ignored');
      return;
    }
    this.#pending.delete(cid);
    track.mid = mid ?? '';
    this.#published.set(track.mid, track);
    this.#host.trackArrived(this, track, media);
  }

  /** A client unpublishes by turning the track's m-line off in its next offer. */
  #checkUnpublished(offer: string): void {
    for (const section of offer.split('\r\nm=').slice(1)) {
      const mid = /\r\na=mid:(\S+)/.exec(section)?.[1];
      const track = mid === undefined ? undefined : this.#published.get(mid);
      if (!track || mid === undefined) continue;
      if (/\r\na=(inactive|recvonly)/.test(section) || /^audio 0 /.test(section)) {
        this.#published.delete(mid);
        this.#host.trackEnded(this, track.sid);
      }
    }
  }

  #onClientChannel(channel: DataChannel): void {
    const kind =
      channel.label === '_reliable'
        ? DataPacket_Kind.RELIABLE
        : channel.label === '_lossy'
          ? DataPacket_Kind.LOSSY
          : undefined;
    if (kind === undefined) return; // _data_track: video-era data tracks are not relayed
    channel.binaryType = 'arraybuffer';
    channel.onmessage = ({ data }) => {
      if (typeof data === 'string') return; // both SDKs send binary DataPackets only
      this.#host.data(this, new Uint8Array(data), kind);
    };
  }

  #openChannel(
    label: string,
    kind: DataPacket_Kind,
    init: { ordered?: boolean; maxRetransmits?: number },
  ): void {
    const channel = this.#subscriber.pc.createDataChannel(label, init);
    channel.binaryType = 'arraybuffer';
    this.#channels.set(kind, channel);
    channel.onopen = () => {
      if (kind === DataPacket_Kind.RELIABLE) {
        for (const bytes of this.#held.splice(0)) channel.send(bytes);
      }
      this.#checkActive();
    };
  }

  #checkActive(): void {
    if (this.#active || this.#closed) return;
    if (this.#subscriber.pc.connectionState !== 'connected') return;
    for (const channel of this.#channels.values()) if (channel.readyState !== 'open') return;
    this.#active = true;
    this.#host.active(this);
  }

  #trickle(candidate: IceCandidateInit, target: SignalTarget): void {
    this.#send({
      case: 'trickle',
      value: new TrickleRequest({ candidateInit: JSON.stringify(candidate), target }),
    });
  }

  #failed(step: string, error: unknown): void {
    if (this.#closed) return;
    this.#log.warn({ err: error }, `${step} failed`);
  }

  #send(message: SignalResponse['message']): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(new SignalResponse({ message }).toBinary());
  }
}
