export type { ConnectionState } from './agent-connection.js';
export {
  type AcceptOptions,
  type JobAnswer,
  JobRequest,
  JobRequestAnsweredError,
} from './job-request.js';
export { createCpuLoadFnc } from './load.js';
export {
  agentURL,
  httpURL,
  type ResolvedWorkerOptions,
  resolveWorkerOptions,
  type WorkerOptions,
  type WorkerPermissions,
  type WorkerType,
} from './options.js';
export { Worker, WorkerAuthError, type WorkerEvents, type WorkerTimings } from './worker.js';
