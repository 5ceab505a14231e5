export { IDLE_CLOSE_REASON } from './session.js';
export {
  DeepgramStandIn,
  type DeepgramStandInOptions,
  NO_LATENCY as DEEPGRAM_NO_LATENCY,
  REALISTIC_LATENCY as DEEPGRAM_REALISTIC_LATENCY,
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
