export type { TimedWord } from '../stt/events.js';
export { ChunkedStream } from './chunked-stream.js';
export { TTS_FRAME_MS, TTSFramer } from './framer.js';
export { StreamAdapter, type StreamAdapterOptions } from './stream-adapter.js';
export { type SynthesisEvent, SynthesisEventType, SynthesizeStream } from './synthesize-stream.js';
export {
  type SynthesizedAudio,
  type SynthesizeOptions,
  TTS,
  type TTSCapabilities,
  type TTSInit,
} from './tts.js';
