// The voice pipeline: the VoiceAssistant and the interfaces its bindings implement.
export {
  type ParticipantChoice,
  type SayOptions,
  VoiceAssistant,
  type VoiceIOProvider,
  type VoiceTarget,
} from './assistant.js';
export type {
  SpeechOutcome,
  VoiceAssistantEvents,
  VoiceAssistantOptions,
  VoicePipelineMetrics,
} from './assistant-types.js';
export { Alignment, type AlignmentOptions, type HeardWord } from './heard-text.js';
export * from './io/index.js';
export type {
  AudioInput,
  AudioOutput,
  AudioOutputEvents,
  ParticipantLinkEvents,
  ParticipantLinkSource,
  PlaybackFinished,
  TextOutput,
  TimedText,
  UnlinkReason,
  VoiceIO,
} from './io.js';
export type { VoiceAssistantExtraOptions } from './options.js';
export * from './room/index.js';
export { SpeechHandle, SpeechStopped } from './speech-handle.js';
export * from './timeline/index.js';
