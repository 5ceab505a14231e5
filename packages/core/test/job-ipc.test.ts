import { deserialize, serialize } from 'node:v8';
import {
  Job,
  JobState,
  JobStatus,
  JobType,
  ParticipantInfo,
  ParticipantInfo_Kind,
  Room,
  TrackInfo,
  TrackType,
} from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { toStartJobRequest } from '../src/job/job-info.js';
import { fromStartJobRequest } from '../src/job/job-runner.js';

describe('start_job over IPC', () => {
  it('carries the whole job through the structured clone and restores its classes', () => {
    const job = new Job({
      id: 'AJ_1',
      dispatchId: 'AD_1',
      type: JobType.JT_ROOM,
      room: new Room({
        sid: 'RM_1',
        name: 'room-1',
        metadata: '{"a":1}',
        creationTime: 1_700_000_000n,
        enabledCodecs: [{ mime: 'audio/opus' }, { mime: 'video/vp8' }],
      }),
      participant: new ParticipantInfo({
        sid: 'PA_1',
        identity: 'user',
        kind: ParticipantInfo_Kind.SIP,
        attributes: { lang: 'fr' },
        tracks: [new TrackInfo({ sid: 'TR_1', type: TrackType.AUDIO, name: 'mic' })],
      }),
      state: new JobState({ status: JobStatus.JS_PENDING, startedAt: 12n }),
      agentName: 'agent',
      metadata: 'job metadata',
    });
    const info = {
      job,
      url: 'wss://example.invalid',
      token: 'secret',
      acceptArguments: { identity: 'agent-1', name: 'Agent', metadata: '', attributes: { k: 'v' } },
      workerId: 'AW_1',
    };
    // What `serialization: 'advanced'` does to a message: V8's serializer, both ways.
    const received = deserialize(serialize(toStartJobRequest(info)));
    const back = fromStartJobRequest(received);

    expect(back.job).toBeInstanceOf(Job);
    expect(back.job.room).toBeInstanceOf(Room);
    expect(back.job.participant?.tracks[0]).toBeInstanceOf(TrackInfo);
    expect(back.job.equals(job)).toBe(true);
    expect(back.job.room?.creationTime).toBe(1_700_000_000n);
    expect({ ...back, job: undefined }).toEqual({ ...info, job: undefined });
  });
});
