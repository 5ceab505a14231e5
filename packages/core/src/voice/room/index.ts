// The room binding: a VoiceAssistant in a LiveKit room.
export { RoomAudioInput, type RoomAudioInputOptions } from './input.js';
export { RoomAudioOutput, type RoomAudioOutputOptions } from './output.js';
export { leftForGood, RoomIO, type RoomIOOptions } from './room-io.js';
export type {
  RoomLocalParticipant,
  RoomLocalPublication,
  RoomRemoteParticipant,
  RoomRemotePublication,
  RoomSurface,
  RoomSurfaceEvents,
} from './surface.js';
export {
  RoomTextOutput,
  type RoomTextOutputOptions,
  TranscriptionPublisher,
  type TranscriptionPublisherOptions,
  type TranscriptionTarget,
  type TranscriptionUpdate,
} from './transcription.js';
