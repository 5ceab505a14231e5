export { DEEPGRAM_IDLE_CLOSE_REASON } from './session.js';
export {
  DEEPGRAM_NO_LATENCY,
  DEEPGRAM_REALISTIC_LATENCY,
  DeepgramStandIn,
  type DeepgramStandInOptions,
} from './stand-in.js';
export type {
  DeepgramConnection,
  DeepgramFault,
  DeepgramFaultOptions,
  DeepgramLatency,
  DeepgramLatencyOption,
  DeepgramRequest,
  DeepgramWord,
} from './types.js';
