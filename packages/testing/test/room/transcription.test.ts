import { voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRoom, scaledMs } from '../../src/index.js';
import { transcriptionCases } from './cases/transcription.cases.js';
import { fakeRoomDriver } from './drivers/fake-driver.js';

// The cases a real room can run too; below, the failing and hanging publishes, which need FakeRoom.
transcriptionCases(fakeRoomDriver);

let rooms: FakeRoom[] = [];
afterEach(async () => {
  for (const room of rooms) await room.dispose();
  rooms = [];
});

function fakeRoom(): FakeRoom {
  const room = new FakeRoom();
  rooms.push(room);
  return room;
}

/** `[id, text, final]` of each call the room accepted (one segment each). */
function published(room: FakeRoom): [string, string, boolean][] {
  return room.transcriptions.map(({ transcription }) => {
    expect(transcription.segments).toHaveLength(1);
    const s = transcription.segments[0]!;
    return [s.id, s.text, s.final];
  });
}

/** Holds the next call in flight until `publishTimeoutMs` abandons it. */
async function holdNextCall(
  room: FakeRoom,
  publisher: voice.TranscriptionPublisher,
  first: () => void,
) {
  room.failTranscriptions('hang');
  first();
  await until('the held call', () => publisher.pending === 0);
  room.failTranscriptions(0);
}

class Warnings {
  readonly messages: string[] = [];
  readonly logger = {
    warn: (_fields: object, message: string) => void this.messages.push(message),
  } as never;
}

async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + scaledMs(ms);
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

const alice = { participantIdentity: 'alice', trackSid: 'TR_mic' };
const agent = { participantIdentity: 'agent', trackSid: 'TR_agent' };

describe('TranscriptionPublisher', () => {
  it('replaces a queued state of a segment with its newer state', async () => {
    const room = fakeRoom();
    const publisher = new voice.TranscriptionPublisher(room, {
      publishTimeoutMs: scaledMs(200),
      logger: new Warnings().logger,
    });
    // The first state is in flight (held, then abandoned) while the next ones queue.
    await holdNextCall(room, publisher, () =>
      publisher.publish(alice, { id: 'SG_1', text: 'one', final: false }),
    );
    publisher.publish(alice, { id: 'SG_1', text: 'one two', final: false });
    publisher.publish(agent, { id: 'SG_2', text: 'Hello', final: false });
    publisher.publish(alice, { id: 'SG_1', text: 'one two three', final: false });
    publisher.publish(alice, { id: 'SG_1', text: 'one, two, three.', final: true });
    expect(publisher.pending).toBe(2);
    await publisher.close(scaledMs(5000));
    expect(published(room)).toEqual([
      ['SG_1', 'one, two, three.', true],
      ['SG_2', 'Hello', false],
    ]);
    expect(publisher.dropped).toBe(0);
  });

  it('bounds the queue by dropping the oldest interim, never a final', async () => {
    const room = fakeRoom();
    const publisher = new voice.TranscriptionPublisher(room, {
      maxPending: 3,
      publishTimeoutMs: scaledMs(200),
      logger: new Warnings().logger,
    });
    await holdNextCall(room, publisher, () =>
      publisher.publish(agent, { id: 'SG_0', text: 'blocked', final: false }),
    );
    publisher.publish(agent, { id: 'SG_f1', text: 'First.', final: true });
    publisher.publish(agent, { id: 'SG_i1', text: 'interim one', final: false });
    publisher.publish(agent, { id: 'SG_f2', text: 'Second.', final: true });
    publisher.publish(agent, { id: 'SG_i2', text: 'interim two', final: false });
    publisher.publish(agent, { id: 'SG_f3', text: 'Third.', final: true });
    expect(publisher.pending).toBe(3);
    expect(publisher.dropped).toBe(2);
    await publisher.close(scaledMs(5000));
    expect(published(room)).toEqual([
      ['SG_f1', 'First.', true],
      ['SG_f2', 'Second.', true],
      ['SG_f3', 'Third.', true],
    ]);
  });

  it('logs a failing publish, rate-limited, and goes on with later segments', async () => {
    const room = fakeRoom();
    const warnings = new Warnings();
    room.failTranscriptions(45);
    const publisher = new voice.TranscriptionPublisher(room, {
      logger: warnings.logger,
      logEvery: 20,
      maxPending: 100,
    });
    for (let i = 0; i < 45; i++)
      publisher.publish(agent, { id: `SG_x${i}`, text: 'x', final: true });
    publisher.publish(agent, { id: 'SG_after', text: 'Still here.', final: true });
    await until('the segment after the failures', () => room.transcriptions.length === 1);
    expect(published(room)).toEqual([['SG_after', 'Still here.', true]]);
    expect(publisher.failures).toBe(45);
    // The first failure, then the 20th and the 40th.
    expect(warnings.messages).toHaveLength(3);
    expect(warnings.messages[0]).toMatch(/publishTranscription failed.*the conversation goes on/);
    await publisher.close();
  });

  it('abandons a hung publish at its deadline and publishes the next', async () => {
    const room = fakeRoom();
    const warnings = new Warnings();
    const publisher = new voice.TranscriptionPublisher(room, {
      publishTimeoutMs: scaledMs(100),
      logger: warnings.logger,
    });
    await holdNextCall(room, publisher, () =>
      publisher.publish(agent, { id: 'SG_hung', text: 'lost', final: true }),
    );
    publisher.publish(agent, { id: 'SG_next', text: 'Next.', final: true });
    await until('the next segment', () => room.transcriptions.length === 1);
    expect(published(room)).toEqual([['SG_next', 'Next.', true]]);
    expect(publisher.failures).toBe(1);
    expect(publisher.timeouts).toBe(1);
    expect(warnings.messages[0]).toMatch(/did not answer within/);
    await publisher.close();
  });

  it('counts a publish while the room is disconnected as a failure', async () => {
    const room = fakeRoom();
    room.close();
    const publisher = new voice.TranscriptionPublisher(room, {
      logger: new Warnings().logger,
    });
    publisher.publish(agent, { id: 'SG_1', text: 'x', final: true });
    await until('the failure', () => publisher.failures === 1);
    await publisher.close();
  });

  it('close gives up at its deadline and counts what was left', async () => {
    const room = fakeRoom();
    room.failTranscriptions('hang');
    const publisher = new voice.TranscriptionPublisher(room, {
      publishTimeoutMs: 60_000,
      logger: new Warnings().logger,
    });
    publisher.publish(agent, { id: 'SG_1', text: 'hung', final: true });
    publisher.publish(agent, { id: 'SG_2', text: 'queued', final: true });
    await publisher.close(scaledMs(50));
    expect(publisher.dropped).toBe(1);
    expect(publisher.pending).toBe(0);
  });
});
