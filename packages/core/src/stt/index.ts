export type { WriteOptions } from '../vad/vad.js';
export {
  type SpeechData,
  type SpeechEvent,
  SpeechEventType,
  type TimedWord,
} from './events.js';
export { SpeechStream, type SpeechStreamInit } from './speech-stream.js';
export { StreamAdapter, type StreamAdapterOptions } from './stream-adapter.js';
export {
  type RecognizeOptions,
  type SpeechStreamOptions,
  STT,
  type STTCapabilities,
} from './stt.js';
