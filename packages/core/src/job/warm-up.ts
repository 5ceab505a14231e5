import type { MessageType } from '@bufbuild/protobuf';
import { Job } from '@livekit/protocol';

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
  const sample = new Job({
    id: 'AJ_warm-up',
    room: { sid: 'RM_warm-up', name: 'warm-up' },
    participant: { sid: 'PA_warm-up', identity: 'warm-up' },
    state: {},
  });
  Job.fromBinary(sample.toBinary());
  return prepared.size;
}

function prepareFields(type: MessageType, prepared: Set<MessageType>): void {
  if (prepared.has(type)) return;
  prepared.add(type);
  for (const field of type.fields.list()) {
    if (field.kind === 'message') prepareFields(field.T, prepared);
    else if (field.kind === 'map' && field.V.kind === 'message') prepareFields(field.V.T, prepared);
  }
}
