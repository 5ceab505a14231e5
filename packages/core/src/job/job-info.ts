import type { Job } from '@livekit/protocol';
import type { StartJobRequest } from './ipc.js';

/** The participant fields the worker chose when it accepted the job. */
export interface AcceptArguments {
  identity: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
}

/** Everything a job process needs to run one job: the assignment from the server. */
export interface RunningJobInfo {
  /** The `Job` protobuf from the server's assignment. */
  job: Job;
  /** The LiveKit server the room lives on. */
  url: string;
  /** Access token for joining the room. A secret: never log it. */
  token: string;
  acceptArguments: AcceptArguments;
  workerId: string;
}

/**
 * The job travels as the structured clone of its fields: the IPC channel
 * clones the instance as a plain object (nested messages too), and the job
 * process restores the class with `new Job(...)`.
 */
export function toStartJobRequest(info: RunningJobInfo): StartJobRequest {
  return {
    type: 'start_job',
    job: info.job,
    url: info.url,
    token: info.token,
    acceptArguments: info.acceptArguments,
    workerId: info.workerId,
  };
}
