export { DeadlineError } from '../utils/deadline.js';
export { type Agent, defineAgent, isJobProcess, JOB_PROCESS_ENV, JobProcess } from './agent.js';
export {
  type AutoSubscribe,
  type ConnectOptions,
  JobContext,
  type ShutdownCallback,
  type WaitForParticipantOptions,
} from './job-context.js';
export type { AcceptArguments, RunningJobInfo } from './job-info.js';
export { JobLaunchError, type JobLaunchFailure } from './job-launch-error.js';
export type { JobVoiceOptions } from './job-voice.js';
export {
  DEFAULT_PROC_POOL_OPTIONS,
  ProcPool,
  type ProcPoolEvents,
  type ProcPoolOptions,
} from './proc-pool.js';
