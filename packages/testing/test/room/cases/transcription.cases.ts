// The transcription cases that hold on any room, written once against a
// RoomDriver and read as a user receives them: transcription.test.ts runs
// them on FakeRoom (with the failure cases, which need FakeRoom's failing
// publishTranscription), room-live/transcription.e2e.test.ts on the stand-in.
import { voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledMs } from '../../../src/index.js';
import type { DriverKind, RemoteUser, RoomDriver } from '../drivers/driver.js';

async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + scaledMs(ms);
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** `[id, text, final]` of each transcription the user received (one segment each). */
function received(user: RemoteUser): [string, string, boolean][] {
  return user.transcriptions.map((transcription) => {
    expect(transcription.segments).toHaveLength(1);
    const s = transcription.segments[0]!;
    return [s.id, s.text, s.final];
  });
}

const alice = { participantIdentity: 'alice', trackSid: 'TR_mic' };
const agent = { participantIdentity: 'agent', trackSid: 'TR_agent' };

export function transcriptionCases(kind: DriverKind): void {
  describe(`transcriptions received on ${kind.name}`, () => {
    let driver: RoomDriver | undefined;
    afterEach(async () => {
      await driver?.dispose();
      driver = undefined;
    });

    /** The agent's room, with Alice in it to read what is published. */
    async function setUp() {
      driver = await kind.create();
      const user = await driver.join('alice');
      return { user, publisher: new voice.TranscriptionPublisher(driver.room) };
    }

    it('publishes one segment per call, in order, with the wire fields', async () => {
      const { user, publisher } = await setUp();
      // A track the room has: a receiving rtc-node leaves the sid out when it knows no such track.
      const mic = await user.publishMicrophone();
      publisher.publish(
        { participantIdentity: 'alice', trackSid: mic.sid },
        { id: 'SG_a', text: 'hel', final: false, language: 'en' },
      );
      publisher.publish(agent, { id: 'SG_b', text: 'Hi', final: false });
      publisher.publish(agent, { id: 'SG_c', text: 'Hi there.', final: true });
      await until('3 received', () => user.transcriptions.length === 3);
      expect(user.transcriptions[0]).toEqual({
        participantIdentity: 'alice',
        trackSid: mic.sid,
        segments: [
          { id: 'SG_a', text: 'hel', startTime: 0n, endTime: 0n, language: 'en', final: false },
        ],
      });
      expect(user.transcriptions[1]!.participantIdentity).toBe('agent');
      expect(received(user).map((p) => p[0])).toEqual(['SG_a', 'SG_b', 'SG_c']);
      await publisher.close();
      expect(publisher.published).toBe(3);
    });

    it('close publishes what is queued, then refuses more', async () => {
      const { user, publisher } = await setUp();
      publisher.publish(agent, { id: 'SG_1', text: 'One.', final: true });
      publisher.publish(agent, { id: 'SG_2', text: 'Two.', final: true });
      await publisher.close();
      publisher.publish(agent, { id: 'SG_3', text: 'Three.', final: true });
      expect(publisher.pending).toBe(0);
      await until('2 received', () => user.transcriptions.length >= 2);
      expect(received(user).map((p) => p[1])).toEqual(['One.', 'Two.']);
      expect(publisher.published).toBe(2);
    });

    it('agent side: appends the played words, final on flush, then a new segment id', async () => {
      const { user, publisher } = await setUp();
      const text = new voice.RoomTextOutput(publisher, { mode: 'append', target: () => agent });
      const first = text.segmentId;
      expect(first).toMatch(/^SG_[0-9a-f]{12}$/);
      await text.captureText({ text: 'Hello.', start: 0, end: 0.4 });
      await until('the first word', () => user.transcriptions.length === 1);
      await text.captureText({ text: ' How', start: 0.5, end: 0.7 });
      await until('the second word', () => user.transcriptions.length === 2);
      text.flush();
      text.flush(); // nothing captured: nothing published
      void text.captureText(' Bye.');
      text.flush();
      await publisher.close();
      await until('4 received', () => user.transcriptions.length >= 4);
      const second = received(user).at(-1)![0];
      expect(second).toMatch(/^SG_[0-9a-f]{12}$/);
      expect(second).not.toBe(first);
      expect(received(user)).toEqual([
        [first, 'Hello.', false],
        [first, 'Hello. How', false],
        [first, 'Hello. How', true],
        // Captured and flushed in the same tick: only the final goes out.
        [second, 'Bye.', true],
      ]);
    });

    it('user side: each capture is the latest hypothesis; flush makes it final', async () => {
      const { user, publisher } = await setUp();
      const text = new voice.RoomTextOutput(publisher, {
        mode: 'replace',
        target: () => alice,
        language: 'en',
      });
      await text.captureText('what');
      await until('the interim', () => user.transcriptions.length === 1);
      await text.captureText('what time');
      await until('the second interim', () => user.transcriptions.length === 2);
      // As the user forwarder does: the final's capture and flush in the same tick.
      void text.captureText('What time is it?');
      text.flush();
      await publisher.close();
      await until('3 received', () => user.transcriptions.length >= 3);
      const id = received(user)[0]![0];
      expect(received(user)).toEqual([
        [id, 'what', false],
        [id, 'what time', false],
        // The last interim was replaced in the queue by the final.
        [id, 'What time is it?', true],
      ]);
      expect(user.transcriptions[0]!.segments[0]!.language).toBe('en');
    });

    it('publishes nothing while there is no target', async () => {
      const { user, publisher } = await setUp();
      let target: voice.TranscriptionTarget | undefined;
      const text = new voice.RoomTextOutput(publisher, { mode: 'replace', target: () => target });
      await text.captureText('lost');
      text.flush();
      target = alice;
      await text.captureText('heard');
      text.flush();
      await publisher.close();
      await until('2 received', () => user.transcriptions.length >= 2);
      expect(received(user).map((p) => [p[1], p[2]])).toEqual([
        ['heard', false],
        ['heard', true],
      ]);
    });
  });
}
