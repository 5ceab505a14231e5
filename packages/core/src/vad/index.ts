export {
  VAD,
  type VADCapabilities,
  type VADEvent,
  VADEventType,
  VADStream,
} from './vad.js';
