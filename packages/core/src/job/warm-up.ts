import type { MessageType } from '@bufbuild/protobuf';
import { Job } from '@livekit/protocol';
import { JobProcess } from './agent.js';
import { toStartJobRequest } from './job-info.js';
import { fromStartJobRequest, JobRunner } from './job-runner.js';

/** Runs of the start path: the first compiles it, the next ones let V8 optimize what it ran. */
const START_RUNS = 3;

/**
 * Runs, in an idle job process, the code the job's arrival would otherwise run
 * for the first time: protobuf-es builds each message type's field tables on
 * first use, and decoding the first `Job` (room, participant, state and the
 * types inside them) cost about 2.5 ms of CPU between `start_job` and the
 * entry (bench/suites/dispatch.ts); on a busy machine, several times that in
 * wall time. Returns the number of message types prepared.
 */
export function warmUpJobDecoding(): number {
  const prepared = new Set<MessageType>();
  prepareFields(Job, prepared);
  Job.fromBinary(sampleJob().toBinary());
  return prepared.size;
}

/**
 * Builds, in an idle job process, what a job's start builds: the job,
 * its room, its context. The first construction of each (code V8 has not
 * compiled yet) cost about 1 ms of CPU between `start_job` and `job_started`;
 * a second one, 0.05 ms. Nothing built here is kept or connected: a `Room`
 * talks to rtc-node only once it connects.
 */
export function warmUpJobStart(): void {
  warmUpJobDecoding();
  const request = toStartJobRequest({
    job: sampleJob(),
    url: 'ws://warm-up.invalid',
    token: 'warm-up',
    acceptArguments: { identity: 'warm-up', name: '', metadata: '', attributes: {} },
    workerId: 'warm-up',
  });
  const proc = new JobProcess();
  for (let i = 0; i < START_RUNS; i++) {
    // As the IPC channel delivers it: a structured clone, the job's class gone.
    new JobRunner(fromStartJobRequest(structuredClone(request)), proc, () => {});
  }
}

function sampleJob(): Job {
  return new Job({
    id: 'AJ_warm-up',
    room: { sid: 'RM_warm-up', name: 'warm-up' },
    participant: { sid: 'PA_warm-up', identity: 'warm-up' },
    state: {},
  });
}

function prepareFields(type: MessageType, prepared: Set<MessageType>): void {
  if (prepared.has(type)) return;
  prepared.add(type);
  for (const field of type.fields.list()) {
    if (field.kind === 'message') prepareFields(field.T, prepared);
    else if (field.kind === 'map' && field.V.kind === 'message') prepareFields(field.V.T, prepared);
  }
}
