/**
 * The top level is what an agent author uses: the worker, the agent definition and its job
 * context, the CLI, the API errors, logging, and the model interfaces as namespaces. What a
 * plugin author needs sits in `plugin`; internals (URL helpers, option resolution, the process
 * pool) are not exported. api/core.api.md at the repository root lists the whole surface, and
 * a test fails when it changes without that file being regenerated (`pnpm api:update`).
 */
export * as audio from './audio/index.js';
export * as cli from './cli/index.js';
export * as codecs from './codecs/index.js';
export {
  APIConnectionError,
  APIError,
  type APIErrorOptions,
  APIStatusError,
  type APIStatusErrorOptions,
  APITimeoutError,
} from './errors.js';
export {
  type Agent,
  type AutoSubscribe,
  type ConnectOptions,
  defineAgent,
  isJobProcess,
  JobContext,
  JobProcess,
  type JobVoiceOptions,
  type RunningJobInfo,
  type ShutdownCallback,
  type WaitForParticipantOptions,
} from './job/index.js';
export * as llm from './llm/index.js';
export {
  initializeLogger,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  log,
  redactUrl,
} from './log.js';
export * as metrics from './metrics/index.js';
export * as plugin from './plugin/index.js';
export * as stt from './stt/index.js';
export * as tokenize from './tokenize/index.js';
export * as tts from './tts/index.js';
export * as utils from './utils/index.js';
export * as vad from './vad/index.js';
export * as voice from './voice/index.js';
export {
  type AcceptOptions,
  type JobAnswer,
  JobRequest,
  JobRequestAnsweredError,
  Worker,
  WorkerAuthError,
  type WorkerEvents,
  type WorkerOptions,
  type WorkerPermissions,
  type WorkerTimings,
  type WorkerType,
} from './worker/index.js';
