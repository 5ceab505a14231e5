export {
  VAD,
  type VADCapabilities,
  type VADEvent,
  VADEventType,
  VADStream,
  type WriteOptions,
} from './vad.js';
