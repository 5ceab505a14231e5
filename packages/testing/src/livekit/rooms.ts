import { randomBytes } from 'node:crypto';
import type { PartialMessage } from '@bufbuild/protobuf';
import {
  AgentDispatch,
  AgentDispatchState,
  Codec,
  type CreateAgentDispatchRequest,
  type CreateRoomRequest,
  DisconnectReason,
  type Job,
  JobType,
  ParticipantInfo,
  ParticipantInfo_Kind,
  ParticipantInfo_State,
  ParticipantPermission,
  Room,
  type RoomAgentDispatch,
  TrackInfo,
  TrackSource,
  TrackType,
} from '@livekit/protocol';
import { newId, nowNanos } from './ids.js';
import { TwirpError } from './twirp.js';

/** A room's defaults on the real server: rooms close 300 s after creation if nobody joins, 20 s after the last leaves. */
const DEFAULT_EMPTY_TIMEOUT_S = 300;
const DEFAULT_DEPARTURE_TIMEOUT_S = 20;
const DEFAULT_CODECS = [
  'audio/PCMU',
  'audio/PCMA',
  'audio/opus',
  'audio/red',
  'video/VP8',
  'video/H264',
  'video/VP9',
  'video/AV1',
  'video/H265',
  'video/rtx',
];
/** The real server's limits, answered with `invalid_argument`. */
const MAX_ROOM_NAME_LENGTH = 256;
const MAX_METADATA_BYTES = 512 * 1024;
const MAX_ATTRIBUTES_BYTES = 64 * 1024;

export type ParticipantKind = 'standard' | 'agent' | 'egress' | 'ingress' | 'sip';

const KINDS: Record<ParticipantKind, ParticipantInfo_Kind> = {
  standard: ParticipantInfo_Kind.STANDARD,
  agent: ParticipantInfo_Kind.AGENT,
  egress: ParticipantInfo_Kind.EGRESS,
  ingress: ParticipantInfo_Kind.INGRESS,
  sip: ParticipantInfo_Kind.SIP,
};

/** A participant joining, as its token would describe it. */
export interface JoinOptions {
  identity: string;
  name?: string;
  metadata?: string;
  attributes?: Record<string, string>;
  /** Default `standard`. `agent` and `egress` participants never trigger jobs. */
  kind?: ParticipantKind;
  /** If this join creates the room: its dispatches, as a token's `roomConfig.agents` would give. */
  roomAgents?: PartialMessage<RoomAgentDispatch>[];
  /** From the token's grants; default: everything allowed. */
  permission?: {
    canSubscribe?: boolean;
    canPublish?: boolean;
    canPublishData?: boolean;
    hidden?: boolean;
  };
}

export interface PublishOptions {
  /** Default `audio`. */
  type?: 'audio' | 'video';
  /** Default `microphone` for audio, `camera` for video. */
  source?: 'microphone' | 'camera' | 'screen_share' | 'screen_share_audio';
  name?: string;
  muted?: boolean;
}

/** Something happened that the real server answers with a job request for one dispatch. */
export interface DispatchTrigger {
  /** The room as it is now (a copy): it goes into the job. */
  room: Room;
  dispatch: AgentDispatch;
  type: JobType;
  /** The participant, for publisher and participant jobs. */
  participant?: ParticipantInfo;
}

export interface RoomStoreEvents {
  onTrigger(trigger: DispatchTrigger): void;
  onParticipantLeft(room: string, participant: ParticipantInfo): void;
  /** A participant joined, published, muted, unpublished or left: `info.version` has grown. */
  onParticipantChanged?(room: string, participant: ParticipantInfo): void;
  onChange(): void;
}

interface ParticipantRecord {
  info: ParticipantInfo;
  /** Agents and egress "depend" on others: they are not counted and trigger no jobs. */
  dependent: boolean;
  /** Publisher jobs start on the first track only, once per stay in the room. */
  hasPublished: boolean;
}

interface RoomRecord {
  room: Room;
  participants: Map<string, ParticipantRecord>;
  dispatches: AgentDispatch[];
}

/**
 * Rooms, their participants and their agent dispatches: the part of the real
 * server's room state that decides when jobs are requested. It reports each
 * trigger to `onTrigger` and never talks to workers itself.
 */
export class RoomStore {
  readonly #rooms = new Map<string, RoomRecord>();
  readonly #events: RoomStoreEvents;

  constructor(events: RoomStoreEvents) {
    this.#events = events;
  }

  /** Rooms as they are now (copies), optionally only those named. */
  list(names: readonly string[] = []): Room[] {
    const records = names.length
      ? names.flatMap((name) => this.#rooms.get(name) ?? [])
      : [...this.#rooms.values()];
    return records.map((r) => r.room.clone());
  }

  has(name: string): boolean {
    return this.#rooms.has(name);
  }

  /**
   * Get-or-create, like the CreateRoom API. A new room gets the requested
   * dispatches, or one implicit dispatch for unnamed agents when none are
   * requested, and a room job per dispatch.
   */
  create(request: PartialMessage<CreateRoomRequest>): { room: Room; created: boolean } {
    const name = request.name ?? '';
    const existing = this.#rooms.get(name);
    if (existing) return { room: existing.room.clone(), created: false };
    if (!name) throw new TwirpError('invalid_argument', 'room name is required');
    if (name.length > MAX_ROOM_NAME_LENGTH) {
      throw new TwirpError(
        'invalid_argument',
        `room name exceeds ${MAX_ROOM_NAME_LENGTH} characters`,
      );
    }
    checkMetadata(request.metadata);
    const nowMs = Date.now();
    const room = new Room({
      sid: newId('RM_'),
      name,
      emptyTimeout: request.emptyTimeout || DEFAULT_EMPTY_TIMEOUT_S,
      departureTimeout: request.departureTimeout || DEFAULT_DEPARTURE_TIMEOUT_S,
      maxParticipants: request.maxParticipants ?? 0,
      creationTime: BigInt(Math.floor(nowMs / 1000)),
      creationTimeMs: BigInt(nowMs),
      turnPassword: randomBytes(16).toString('hex'),
      enabledCodecs: DEFAULT_CODECS.map((mime) => new Codec({ mime })),
      metadata: request.metadata ?? '',
    });
    const requested = request.agents ?? [];
    const record: RoomRecord = {
      room,
      participants: new Map(),
      // No agents asked for: the "automatic dispatch" of unnamed workers.
      dispatches: (requested.length ? requested : [{}]).map((agent) => newDispatch(name, agent)),
    };
    this.#rooms.set(name, record);
    for (const dispatch of record.dispatches) this.#trigger(record, dispatch, JobType.JT_ROOM);
    this.#events.onChange();
    return { room: room.clone(), created: true };
  }

  /** Closes a room: everyone in it is disconnected (agents included, which ends their jobs). */
  delete(name: string): void {
    const record = this.#require(name);
    for (const identity of [...record.participants.keys()]) {
      this.leave(name, identity, DisconnectReason.ROOM_DELETED);
    }
    this.#rooms.delete(name);
    this.#events.onChange();
  }

  hasParticipant(roomName: string, identity: string): boolean {
    return this.#rooms.get(roomName)?.participants.has(identity) ?? false;
  }

  participants(roomName: string): ParticipantInfo[] {
    return [...this.#require(roomName).participants.values()].map((p) => p.info.clone());
  }

  participant(roomName: string, identity: string): ParticipantInfo {
    const record = this.#require(roomName).participants.get(identity);
    if (!record) throw new TwirpError('not_found', 'participant does not exist');
    return record.info.clone();
  }

  /**
   * A participant connects, creating the room if needed (as a first `/rtc`
   * join does). Joining under an identity already present replaces the older
   * participant, as on the real server.
   */
  join(roomName: string, options: JoinOptions): ParticipantInfo {
    if (!options.identity) throw new TwirpError('invalid_argument', 'identity is required');
    if (options.metadata !== undefined) checkMetadata(options.metadata);
    checkAttributes(options.attributes);
    if (!this.#rooms.has(roomName)) this.create({ name: roomName, agents: options.roomAgents });
    const record = this.#require(roomName);
    if (record.participants.has(options.identity)) {
      this.leave(roomName, options.identity, DisconnectReason.DUPLICATE_IDENTITY);
    }
    const max = record.room.maxParticipants;
    if (max > 0 && record.participants.size >= max) {
      throw new TwirpError('resource_exhausted', 'room is full');
    }
    const kind = KINDS[options.kind ?? 'standard'];
    const nowMs = Date.now();
    const info = new ParticipantInfo({
      sid: newId('PA_'),
      identity: options.identity,
      name: options.name ?? '',
      metadata: options.metadata ?? '',
      attributes: { ...options.attributes },
      state: ParticipantInfo_State.ACTIVE,
      joinedAt: BigInt(Math.floor(nowMs / 1000)),
      joinedAtMs: BigInt(nowMs),
      kind,
      permission: new ParticipantPermission({
        canSubscribe: options.permission?.canSubscribe ?? true,
        canPublish: options.permission?.canPublish ?? true,
        canPublishData: options.permission?.canPublishData ?? true,
        hidden: options.permission?.hidden ?? false,
        agent: kind === ParticipantInfo_Kind.AGENT,
      }),
      version: 1,
    });
    const participant: ParticipantRecord = {
      info,
      dependent: kind === ParticipantInfo_Kind.AGENT || kind === ParticipantInfo_Kind.EGRESS,
      hasPublished: false,
    };
    record.participants.set(options.identity, participant);
    recount(record);
    if (!participant.dependent) {
      for (const dispatch of record.dispatches) {
        this.#trigger(record, dispatch, JobType.JT_PARTICIPANT, info);
      }
    }
    this.#changed(roomName, participant);
    return info.clone();
  }

  /** A participant publishes a track; its first one starts publisher jobs. */
  publish(roomName: string, identity: string, options: PublishOptions = {}): TrackInfo {
    return this.attachTrack(roomName, identity, newTrack(options));
  }

  /**
   * A track announced earlier (a client's `add_track` gets its sid at once)
   * becomes the room's when its media arrives, as on the real server.
   */
  attachTrack(roomName: string, identity: string, track: TrackInfo): TrackInfo {
    const participant = this.#participant(roomName, identity);
    const record = this.#require(roomName);
    participant.info.tracks.push(track.clone());
    participant.info.isPublisher = true;
    recount(record);
    if (!participant.hasPublished && !participant.dependent) {
      participant.hasPublished = true;
      for (const dispatch of record.dispatches) {
        this.#trigger(record, dispatch, JobType.JT_PUBLISHER, participant.info);
      }
    }
    this.#changed(roomName, participant);
    return track.clone();
  }

  /** A published track's muted flag; false if the participant has no such track. */
  setMuted(roomName: string, identity: string, trackSid: string, muted: boolean): boolean {
    const participant = this.#participant(roomName, identity);
    const track = participant.info.tracks.find((t) => t.sid === trackSid);
    if (!track) return false;
    if (track.muted === muted) return true;
    track.muted = muted;
    this.#changed(roomName, participant);
    return true;
  }

  /** A participant stops publishing a track; false if it had no such track. */
  unpublish(roomName: string, identity: string, trackSid: string): boolean {
    const participant = this.#participant(roomName, identity);
    const index = participant.info.tracks.findIndex((t) => t.sid === trackSid);
    if (index === -1) return false;
    participant.info.tracks.splice(index, 1);
    this.#changed(roomName, participant);
    return true;
  }

  /** A participant leaves (or is removed); its departure may end an agent's job. */
  leave(
    roomName: string,
    identity: string,
    reason: DisconnectReason = DisconnectReason.CLIENT_INITIATED,
  ): ParticipantInfo {
    const record = this.#require(roomName);
    const participant = record.participants.get(identity);
    if (!participant) throw new TwirpError('not_found', 'participant does not exist');
    record.participants.delete(identity);
    recount(record);
    const info = participant.info.clone();
    info.state = ParticipantInfo_State.DISCONNECTED;
    info.disconnectReason = reason;
    info.version += 1;
    this.#events.onParticipantLeft(roomName, info);
    this.#events.onParticipantChanged?.(roomName, info.clone());
    this.#events.onChange();
    return info;
  }

  /**
   * Adds a dispatch (creating the room if needed) and requests its jobs at
   * once: a room job, a participant job per participant and a publisher job
   * per publisher already there.
   */
  addDispatch(request: PartialMessage<CreateAgentDispatchRequest>): AgentDispatch {
    const roomName = request.room ?? '';
    checkMetadata(request.metadata);
    checkAttributes(request.attributes);
    if (!this.#rooms.has(roomName)) this.create({ name: roomName });
    const record = this.#require(roomName);
    const dispatch = newDispatch(roomName, request);
    record.dispatches.push(dispatch);
    this.#trigger(record, dispatch, JobType.JT_ROOM);
    for (const participant of record.participants.values()) {
      if (participant.dependent) continue;
      if (participant.hasPublished) {
        this.#trigger(record, dispatch, JobType.JT_PUBLISHER, participant.info);
      }
      this.#trigger(record, dispatch, JobType.JT_PARTICIPANT, participant.info);
    }
    this.#events.onChange();
    return dispatch.clone();
  }

  /** The room's dispatches (the implicit one included), or just the one asked for. */
  dispatches(roomName: string, dispatchId = ''): AgentDispatch[] {
    return this.#require(roomName)
      .dispatches.filter((d) => !dispatchId || d.id === dispatchId)
      .map((d) => d.clone());
  }

  /** Removes a dispatch and returns it with `deleted_at` set; its jobs are ended by the caller. */
  removeDispatch(roomName: string, dispatchId: string): AgentDispatch {
    const record = this.#require(roomName);
    const index = record.dispatches.findIndex((d) => d.id === dispatchId);
    if (index === -1) throw new TwirpError('not_found', 'dispatch ID not found');
    const [dispatch] = record.dispatches.splice(index, 1);
    dispatch!.state!.deletedAt = nowNanos();
    this.#events.onChange();
    return dispatch!.clone();
  }

  /** Files an assigned job under its dispatch, where ListDispatch shows it. */
  recordJob(roomName: string, dispatchId: string, job: Job): void {
    const dispatch = this.#rooms.get(roomName)?.dispatches.find((d) => d.id === dispatchId);
    dispatch?.state?.jobs.push(job.clone());
  }

  clear(): void {
    this.#rooms.clear();
  }

  #participant(roomName: string, identity: string): ParticipantRecord {
    const participant = this.#require(roomName).participants.get(identity);
    if (!participant) throw new TwirpError('not_found', 'participant does not exist');
    return participant;
  }

  /** Clients drop a participant update whose version is not newer than the last they saw. */
  #changed(roomName: string, participant: ParticipantRecord): void {
    participant.info.version += 1;
    this.#events.onParticipantChanged?.(roomName, participant.info.clone());
    this.#events.onChange();
  }

  #require(name: string): RoomRecord {
    const record = this.#rooms.get(name);
    if (!record) throw new TwirpError('not_found', 'requested room does not exist');
    return record;
  }

  #trigger(
    record: RoomRecord,
    dispatch: AgentDispatch,
    type: JobType,
    participant?: ParticipantInfo,
  ): void {
    this.#events.onTrigger({
      room: record.room.clone(),
      dispatch,
      type,
      participant: participant?.clone(),
    });
  }
}

/** A track's info as the server assigns it: a fresh `TR_` sid and the codec it forwards. */
export function newTrack(options: PublishOptions = {}): TrackInfo {
  const video = options.type === 'video';
  return new TrackInfo({
    sid: newId('TR_'),
    type: video ? TrackType.VIDEO : TrackType.AUDIO,
    source: trackSource(options.source ?? (video ? 'camera' : 'microphone')),
    name: options.name ?? '',
    muted: options.muted ?? false,
    mimeType: video ? 'video/VP8' : 'audio/opus',
  });
}

function newDispatch(
  room: string,
  init: PartialMessage<RoomAgentDispatch> | PartialMessage<CreateAgentDispatchRequest>,
): AgentDispatch {
  return new AgentDispatch({
    id: newId('AD_'),
    room,
    agentName: init.agentName ?? '',
    metadata: init.metadata ?? '',
    deployment: init.deployment ?? '',
    attributes: { ...init.attributes },
    state: new AgentDispatchState({ createdAt: nowNanos() }),
  });
}

/** Counts the real server keeps: agents and egress are not participants, but every publisher is one. */
function recount(record: RoomRecord): void {
  let participants = 0;
  let publishers = 0;
  for (const p of record.participants.values()) {
    if (!p.dependent) participants++;
    if (p.info.isPublisher) publishers++;
  }
  record.room.numParticipants = participants;
  record.room.numPublishers = publishers;
}

function trackSource(source: NonNullable<PublishOptions['source']>): TrackSource {
  const sources = {
    microphone: TrackSource.MICROPHONE,
    camera: TrackSource.CAMERA,
    screen_share: TrackSource.SCREEN_SHARE,
    screen_share_audio: TrackSource.SCREEN_SHARE_AUDIO,
  } as const;
  return sources[source];
}

function checkMetadata(metadata: string | undefined): void {
  if (metadata && Buffer.byteLength(metadata) > MAX_METADATA_BYTES) {
    throw new TwirpError('invalid_argument', `metadata exceeds ${MAX_METADATA_BYTES} bytes`);
  }
}

function checkAttributes(attributes: Record<string, string> | undefined): void {
  let size = 0;
  for (const [key, value] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > MAX_ATTRIBUTES_BYTES) {
    throw new TwirpError('invalid_argument', `attributes exceed ${MAX_ATTRIBUTES_BYTES} bytes`);
  }
}
