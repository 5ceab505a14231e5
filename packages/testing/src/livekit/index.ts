/**
 * A stand-in LiveKit server for agent workers: the `/agent` websocket protocol,
 * Twirp RoomService and AgentDispatchService, and test controls to play rooms,
 * watch every message and inject faults.
 */
export { AGENT_NAME_ATTRIBUTE } from './job-token.js';
export type { AgentParticipant, JobAttempt, JobInfo, JobPhase } from './jobs.js';
export type {
  LoggedMessage,
  MessageDirection,
  ServerMessageKind,
  WorkerMessageKind,
} from './message-log.js';
export type {
  CreateRoomOptions,
  LiveKitStandInOptions,
  MessageWaitOptions,
  RestartOptions,
  WaitOptions,
} from './options.js';
export type { JoinOptions, ParticipantKind, PublishOptions } from './rooms.js';
export { LiveKitStandIn, type LiveKitStandInEvents } from './stand-in.js';
export { type TwirpCode, TwirpError } from './twirp.js';
export { StandInClosedError, WaitTimeoutError } from './waits.js';
export { pickWorker, type WorkerInfo } from './worker-pool.js';
