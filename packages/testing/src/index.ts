export * from './deepgram/index.js';
export * from './elevenlabs/index.js';
export {
  type FakeJoinOptions,
  FakeLocalParticipant,
  FakeLocalPublication,
  FakeMicrophone,
  type FakeMicrophoneOptions,
  FakeParticipant,
  type FakeReconnectMode,
  FakeRemotePublication,
  FakeRoom,
  type FakeRoomOptions,
  type RecordedTranscription,
} from './fake-room.js';
export * from './fakes/index.js';
export { type FileFault, type FileRequest, FileServer } from './file-server.js';
export * from './livekit/index.js';
export * from './livekit/simulated-user.js';
export * from './openai/index.js';
export { scaledMs, testTimeScale } from './time.js';
