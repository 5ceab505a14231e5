/**
 * Bindings of the VoiceAssistant's IO to files and the console: a WAV file as
 * the user, a stereo recording of the conversation as the loudspeaker.
 */
export { type Clock, realClock, VirtualClock } from './clock.js';
export { ConsoleTextOutput, type ConsoleTextOutputOptions } from './console-text.js';
export { FileAudioInput, type FileAudioInputOptions } from './file-input.js';
export { createConsoleIO, FileIO, type FileIOOptions } from './file-io.js';
export {
  ConversationRecorder,
  type ConversationRecorderOptions,
  type Speaker,
} from './recorder.js';
export { RecordingAudioOutput, type RecordingAudioOutputOptions } from './recording-output.js';
