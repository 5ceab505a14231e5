export * as audio from './audio/index.js';
export * as cli from './cli/index.js';
export * from './errors.js';
export {
  type Agent,
  type AutoSubscribe,
  type ConnectOptions,
  DeadlineError,
  defineAgent,
  isJobProcess,
  JobContext,
  JobProcess,
  type RunningJobInfo,
  type ShutdownCallback,
} from './job/index.js';
export * as llm from './llm/index.js';
export * from './log.js';
export * as metrics from './metrics/index.js';
export * from './plugin/index.js';
export * as stt from './stt/index.js';
export * as tokenize from './tokenize/index.js';
export * as tts from './tts/index.js';
export * as utils from './utils/index.js';
export * as vad from './vad/index.js';
export * from './worker/index.js';
