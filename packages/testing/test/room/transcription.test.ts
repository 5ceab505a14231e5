import { voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRoom, scaledMs } from '../../src/index.js';

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
  it('publishes one segment per call, in order, with the wire fields', async () => {
    const room = fakeRoom();
    const publisher = new voice.TranscriptionPublisher(room);
    publisher.publish(alice, { id: 'SG_a', text: 'hel', final: false, language: 'en' });
    publisher.publish(agent, { id: 'SG_b', text: 'Hi', final: false });
    publisher.publish(agent, { id: 'SG_c', text: 'Hi there.', final: true });
    await until('3 calls', () => room.transcriptions.length === 3);
    expect(room.transcriptions[0]!.transcription).toEqual({
      participantIdentity: 'alice',
      trackSid: 'TR_mic',
      segments: [
        { id: 'SG_a', text: 'hel', startTime: 0n, endTime: 0n, language: 'en', final: false },
      ],
    });
    expect(room.transcriptions[1]!.transcription.participantIdentity).toBe('agent');
    expect(published(room).map((p) => p[0])).toEqual(['SG_a', 'SG_b', 'SG_c']);
    await publisher.close();
    expect(publisher.published).toBe(3);
  });

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

  it('close publishes what is queued, then refuses more', async () => {
    const room = fakeRoom();
    const publisher = new voice.TranscriptionPublisher(room);
    publisher.publish(agent, { id: 'SG_1', text: 'One.', final: true });
    publisher.publish(agent, { id: 'SG_2', text: 'Two.', final: true });
    await publisher.close();
    expect(published(room).map((p) => p[1])).toEqual(['One.', 'Two.']);
    publisher.publish(agent, { id: 'SG_3', text: 'Three.', final: true });
    expect(publisher.pending).toBe(0);
    expect(room.transcriptions).toHaveLength(2);
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

describe('RoomTextOutput', () => {
  it('agent side: appends the played words, final on flush, then a new segment id', async () => {
    const room = fakeRoom();
    const publisher = new voice.TranscriptionPublisher(room);
    const text = new voice.RoomTextOutput(publisher, { mode: 'append', target: () => agent });
    const first = text.segmentId;
    expect(first).toMatch(/^SG_[0-9a-f]{12}$/);
    await text.captureText({ text: 'Hello.', start: 0, end: 0.4 });
    await until('the first word', () => room.transcriptions.length === 1);
    await text.captureText({ text: ' How', start: 0.5, end: 0.7 });
    await until('the second word', () => room.transcriptions.length === 2);
    text.flush();
    text.flush(); // nothing captured: nothing published
    void text.captureText(' Bye.');
    text.flush();
    await publisher.close();
    const second = published(room).at(-1)![0];
    expect(second).toMatch(/^SG_[0-9a-f]{12}$/);
    expect(second).not.toBe(first);
    expect(published(room)).toEqual([
      [first, 'Hello.', false],
      [first, 'Hello. How', false],
      [first, 'Hello. How', true],
      // Captured and flushed in the same tick: only the final goes out.
      [second, 'Bye.', true],
    ]);
  });

  it('user side: each capture is the latest hypothesis; flush makes it final', async () => {
    const room = fakeRoom();
    const publisher = new voice.TranscriptionPublisher(room);
    const text = new voice.RoomTextOutput(publisher, {
      mode: 'replace',
      target: () => alice,
      language: 'en',
    });
    await text.captureText('what');
    await until('the interim', () => room.transcriptions.length === 1);
    await text.captureText('what time');
    await until('the second interim', () => room.transcriptions.length === 2);
    // As the user forwarder does: the final's capture and flush in the same tick.
    void text.captureText('What time is it?');
    text.flush();
    await publisher.close();
    const id = published(room)[0]![0];
    expect(published(room)).toEqual([
      [id, 'what', false],
      [id, 'what time', false],
      // The last interim was replaced in the queue by the final.
      [id, 'What time is it?', true],
    ]);
    expect(room.transcriptions[0]!.transcription.segments[0]!.language).toBe('en');
  });

  it('publishes nothing while there is no target', async () => {
    const room = fakeRoom();
    const publisher = new voice.TranscriptionPublisher(room);
    let target: voice.TranscriptionTarget | undefined;
    const text = new voice.RoomTextOutput(publisher, { mode: 'replace', target: () => target });
    await text.captureText('lost');
    text.flush();
    target = alice;
    await text.captureText('heard');
    text.flush();
    await publisher.close();
    expect(published(room).map((p) => [p[1], p[2]])).toEqual([
      ['heard', false],
      ['heard', true],
    ]);
  });
});
