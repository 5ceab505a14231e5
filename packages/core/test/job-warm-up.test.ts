import { Job, JobType, ParticipantInfo, Room, TrackInfo } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { warmUpJobDecoding, warmUpJobStart } from '../src/job/warm-up.js';

describe('warmUpJobDecoding', () => {
  it('prepares every message type a job carries, nested ones included', () => {
    // Job, Room, ParticipantInfo, JobState, TrackInfo, Codec, TimedVersion, ... : far more than
    // the four at the top level, or the warm-up left the nested types to the job's arrival.
    expect(warmUpJobDecoding()).toBeGreaterThan(10);
  });

  it('leaves decoding unchanged: a full job round-trips after it', () => {
    warmUpJobDecoding();
    const job = new Job({
      id: 'AJ_1',
      type: JobType.JT_ROOM,
      room: new Room({ sid: 'RM_1', name: 'room-1', metadata: 'm' }),
      participant: new ParticipantInfo({
        identity: 'user',
        tracks: [new TrackInfo({ sid: 'TR_1', name: 'mic' })],
      }),
      agentName: 'agent',
    });
    expect(Job.fromBinary(job.toBinary()).equals(job)).toBe(true);
  });
});

describe('warmUpJobStart', () => {
  it('builds a job start (decode, room, context) without connecting or throwing', () => {
    expect(() => warmUpJobStart()).not.toThrow();
  });
});
