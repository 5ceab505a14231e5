export { MS_PER_CHARACTER } from './audio.js';
export { ElevenLabsStandIn, type ElevenLabsStandInOptions } from './stand-in.js';
export type {
  ElevenLabsAlignment,
  ElevenLabsArmedFault,
  ElevenLabsConnection,
  ElevenLabsFault,
  ElevenLabsFaultOptions,
  ElevenLabsLatency,
  ElevenLabsRequest,
  ElevenLabsSocketKind,
} from './types.js';
