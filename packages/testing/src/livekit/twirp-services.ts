import {
  type AgentDispatch,
  CreateAgentDispatchRequest,
  CreateRoomRequest,
  DeleteAgentDispatchRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  DisconnectReason,
  ListAgentDispatchRequest,
  ListAgentDispatchResponse,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  RemoveParticipantResponse,
  RoomParticipantIdentity,
} from '@livekit/protocol';
import type { ClaimGrants, VideoGrant } from 'livekit-server-sdk';
import type { RoomStore } from './rooms.js';
import { notModelled, TwirpError, type TwirpService, twirpMethod } from './twirp.js';
import { deploymentError } from './worker-pool.js';

/**
 * Checks a video grant. The real server answers every missing or
 * insufficient grant with `unauthenticated` (401), not `permission_denied`.
 */
function requireGrant(
  grants: ClaimGrants | undefined,
  allowed: (video: VideoGrant) => boolean,
): void {
  if (!grants?.video || !allowed(grants.video)) {
    throw new TwirpError('unauthenticated', 'permissions denied');
  }
}

const canCreate = (video: VideoGrant) => video.roomCreate === true;
const canList = (video: VideoGrant) => video.roomList === true;
/** Admin rights are per room: the token must name the room the request is about. */
const canAdmin = (room: string) => (video: VideoGrant) =>
  video.roomAdmin === true && video.room === room;

/** `livekit.RoomService`: the methods agent frameworks call. */
export function roomService(rooms: RoomStore): TwirpService {
  return {
    CreateRoom: twirpMethod(CreateRoomRequest, (request, grants) => {
      requireGrant(grants, canCreate);
      return rooms.create(request).room;
    }),
    ListRooms: twirpMethod(ListRoomsRequest, (request, grants) => {
      requireGrant(grants, canList);
      return new ListRoomsResponse({ rooms: rooms.list(request.names) });
    }),
    DeleteRoom: twirpMethod(DeleteRoomRequest, (request, grants) => {
      requireGrant(grants, canCreate);
      rooms.delete(request.room);
      return new DeleteRoomResponse();
    }),
    ListParticipants: twirpMethod(ListParticipantsRequest, (request, grants) => {
      requireGrant(grants, canAdmin(request.room));
      return new ListParticipantsResponse({ participants: rooms.participants(request.room) });
    }),
    GetParticipant: twirpMethod(RoomParticipantIdentity, (request, grants) => {
      requireGrant(grants, canAdmin(request.room));
      return rooms.participant(request.room, request.identity);
    }),
    RemoveParticipant: twirpMethod(RoomParticipantIdentity, (request, grants) => {
      requireGrant(grants, canAdmin(request.room));
      rooms.leave(request.room, request.identity, DisconnectReason.PARTICIPANT_REMOVED);
      return new RemoveParticipantResponse();
    }),
    MutePublishedTrack: notModelled('MutePublishedTrack'),
    UpdateParticipant: notModelled('UpdateParticipant'),
    UpdateSubscriptions: notModelled('UpdateSubscriptions'),
    SendData: notModelled('SendData'),
    UpdateRoomMetadata: notModelled('UpdateRoomMetadata'),
    ForwardParticipant: notModelled('ForwardParticipant'),
    MoveParticipant: notModelled('MoveParticipant'),
    PerformRpc: notModelled('PerformRpc'),
  };
}

/** `livekit.AgentDispatchService`. `deleteDispatch` also ends the dispatch's jobs. */
export function agentDispatchService(
  rooms: RoomStore,
  deleteDispatch: (room: string, dispatchId: string) => AgentDispatch,
): TwirpService {
  return {
    CreateDispatch: twirpMethod(CreateAgentDispatchRequest, (request, grants) => {
      requireGrant(grants, canAdmin(request.room));
      const invalid = deploymentError(request.deployment);
      if (invalid) throw new TwirpError('invalid_argument', invalid);
      return rooms.addDispatch(request);
    }),
    ListDispatch: twirpMethod(ListAgentDispatchRequest, (request, grants) => {
      requireGrant(grants, canAdmin(request.room));
      return new ListAgentDispatchResponse({
        agentDispatches: rooms.dispatches(request.room, request.dispatchId),
      });
    }),
    DeleteDispatch: twirpMethod(DeleteAgentDispatchRequest, (request, grants) => {
      requireGrant(grants, canAdmin(request.room));
      return deleteDispatch(request.room, request.dispatchId);
    }),
  };
}
