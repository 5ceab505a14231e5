// RoomIO's cases, written once against a RoomDriver: room-io.test.ts runs them
// on FakeRoom, room-live/room-io.e2e.test.ts on a real room on the stand-in.
import { voice } from '@agents/core';
import { AudioFrame, DisconnectReason, ParticipantKind } from '@livekit/rtc-node';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledMs } from '../../../src/index.js';
import { type DriverKind, listenerCounts, type RoomDriver } from '../drivers/driver.js';
import {
  activeResources,
  expectNothingLeftRunning,
  nextEvent,
  pitch,
  readUntil,
  rms,
  tone,
} from '../fake-room-helpers.js';

type Linked = { identity: string };
type Unlinked = { identity: string; reason: string; disconnectReason?: DisconnectReason };

const loud = (f: AudioFrame) => rms(f) > 4000;
const soft = (f: AudioFrame) => rms(f) > 1000 && rms(f) < 3000;

const linked = (emitter: voice.RoomIO, identity?: string) =>
  nextEvent<[Linked]>(
    emitter,
    'participant_linked',
    15_000,
    (e) => !identity || e.identity === identity,
  );
const unlinked = (emitter: voice.RoomIO) =>
  nextEvent<[Unlinked]>(emitter, 'participant_unlinked', 15_000);

export function roomIOCases(kind: DriverKind): void {
  describe(`RoomIO on ${kind.name}`, () => {
    let driver: RoomDriver | undefined;
    let io: voice.RoomIO | undefined;
    afterEach(async () => {
      await io?.close();
      await driver?.dispose();
      io = undefined;
      driver = undefined;
    });

    async function room(): Promise<RoomDriver> {
      driver = await kind.create();
      return driver;
    }

    async function start(options: voice.RoomIOOptions = {}) {
      driver ??= await kind.create();
      const listeners = listenerCounts(driver.room);
      io = await voice.RoomIO.create(driver.room, {
        input: { sampleRate: 16000 },
        output: { subscriberTimeoutMs: 0 },
        ...options,
      });
      const events: string[] = [];
      io.on('participant_linked', ({ identity }) => events.push(`linked ${identity}`));
      io.on('participant_unlinked', ({ identity, reason, disconnectReason }) =>
        events.push(
          `unlinked ${identity} ${reason}${disconnectReason ? ` ${disconnectReason}` : ''}`,
        ),
      );
      // Events of create()'s own linking come just after it resolved.
      await new Promise((resolve) => setImmediate(resolve));
      return { driver, io, events, listeners, frames: io.input[Symbol.asyncIterator]() };
    }

    it('refuses a room that is not connected, saying what to do', async () => {
      const driver = await room();
      const listeners = listenerCounts(driver.room);
      await driver.closeRoom();
      await expect(voice.RoomIO.create(driver.room)).rejects.toThrow(
        'connect to the room first: await ctx.connect()',
      );
      expect(listenerCounts(driver.room)).toEqual(listeners);
    });

    it('links the first participant present who is not an agent', async () => {
      const driver = await room();
      await driver.join('other-agent', { kind: ParticipantKind.AGENT });
      await driver.join('recorder', { kind: ParticipantKind.EGRESS });
      const alice = await driver.join('alice');
      await driver.join('bob');
      const { io, frames } = await start();
      expect(io.linkedIdentity).toBe('alice');
      void (await alice.publishMicrophone()).play(tone(2, 48000, 8000));
      await readUntil(frames, loud);
    });

    it('links a participant who joins later, skipping an agent who joins first', async () => {
      const { driver, io, events } = await start();
      expect(io.linkedIdentity).toBeUndefined();
      await driver.join('helper-agent', { kind: ParticipantKind.AGENT });
      const link = linked(io);
      await driver.join('carol');
      expect((await link)[0].identity).toBe('carol');
      expect(events).toEqual(['linked carol']);
    });

    it('with a fixed identity, links only them, when they join, and again when they rejoin', async () => {
      await (await room()).join('bob');
      const { driver, io, events, frames } = await start({ participantIdentity: 'alice' });
      expect(io.linkedIdentity).toBeUndefined();
      let alice = await driver.join('alice');
      expect(io.linkedIdentity).toBe('alice');
      await alice.leave(DisconnectReason.PARTICIPANT_REMOVED);
      expect(io.linkedIdentity).toBeUndefined();
      alice = await driver.join('alice');
      void (await alice.publishMicrophone()).play(tone(2, 48000, 8000));
      await readUntil(frames, loud);
      expect(events).toEqual([
        'linked alice',
        `unlinked alice left ${DisconnectReason.PARTICIPANT_REMOVED}`,
        'linked alice',
      ]);
    });

    it('when the participant leaves: unlinked with the reason, a silence tail, the next one linked and heard', async () => {
      const driver = await room();
      const alice = await driver.join('alice');
      const bob = await driver.join('bob');
      const { events, frames } = await start();
      void (await alice.publishMicrophone()).play(tone(6, 48000, 8000));
      // Bob at 1 kHz: his voice is told from Alice's fading out (a real decoder conceals the lost packets).
      void (await bob.publishMicrophone()).play(tone(6, 48000, 2500, 1000));
      await readUntil(frames, loud);
      await alice.leave(DisconnectReason.CLIENT_INITIATED);
      expect(events).toEqual([
        'linked alice',
        `unlinked alice left ${DisconnectReason.CLIENT_INITIATED}`,
        'linked bob',
      ]);
      const bobs = (f: AudioFrame) => soft(f) && pitch(f) > 800;
      const afterLeave = await readUntil(frames, bobs);
      // Alice's last frames may still come first on a real room; then the tail, then only Bob.
      let run = 0;
      const tailEnd = afterLeave.findIndex((f) => {
        run = f.data.every((s) => s === 0) ? run + 1 : 0;
        return run >= 25;
      });
      expect(tailEnd).toBeGreaterThan(0);
      expect(afterLeave.slice(tailEnd).some(loud)).toBe(false);
      expect(voice.leftForGood(DisconnectReason.CLIENT_INITIATED)).toBe(true);
    });

    it('linkParticipant switches to them and keeps them when others join', async () => {
      const driver = await room();
      await driver.join('alice');
      await driver.join('bob');
      const { io, events } = await start();
      io.linkParticipant('bob');
      await driver.join('erin');
      expect(io.linkedIdentity).toBe('bob');
      expect(events).toEqual(['linked alice', 'unlinked alice unlinked', 'linked bob']);
    });

    it('unlinkParticipant stops listening; the next participant to join is linked', async () => {
      await (await room()).join('carol');
      const { driver, io, events } = await start();
      io.unlinkParticipant();
      expect(io.linkedIdentity).toBeUndefined();
      await driver.join('dave');
      expect(events).toEqual(['linked carol', 'unlinked carol unlinked', 'linked dave']);
    });

    it('a full reconnect unlinks with no reason (not for good) and links the same participant again; audio flows', async () => {
      const alice = await (await room()).join('alice');
      const { driver, io, events, frames } = await start();
      void (await alice.publishMicrophone()).play(tone(8, 48000, 8000));
      await readUntil(frames, loud);
      const unlink = unlinked(io);
      const relink = linked(io, 'alice');
      await driver.simulateReconnect('full');
      const [{ disconnectReason }] = await unlink;
      await relink;
      expect(voice.leftForGood(disconnectReason)).toBe(false);
      expect(events).toEqual(['linked alice', 'unlinked alice left', 'linked alice']);
      await readUntil(frames, (f) => f.data.every((s) => s === 0));
      await readUntil(frames, loud);
    });

    it('the room closing unlinks with reason closed', async () => {
      await (await room()).join('alice');
      const { driver, events } = await start();
      await driver.closeRoom();
      expect(events).toEqual(['linked alice', 'unlinked alice closed']);
    });

    it("publishes the user's words for the linked participant's microphone and the agent's for its track", async () => {
      const alice = await (await room()).join('alice');
      const mic = await alice.publishMicrophone();
      const { io } = await start();
      // Alice's client names a transcription's track only once it knows the track (rtc-node's Rust SDK leaves it empty).
      await (await alice.hearAgent()).cancel();
      await io.userTranscript?.captureText('hello there');
      io.userTranscript?.flush();
      await io.agentTranscript?.captureText({ text: 'Hi!', start: 0, end: 0.3 });
      io.agentTranscript?.flush();
      const deadline = performance.now() + scaledMs(5000);
      // Both finals; a real room may deliver the interims too.
      const finals = () => alice.transcriptions.filter((t) => t.segments.some((s) => s.final));
      while (finals().length < 2 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const targets = alice.transcriptions.map((t) => [
        t.participantIdentity,
        t.trackSid,
        t.segments.map((s) => `${s.text}${s.final ? ' (final)' : ''}`).join('|'),
      ]);
      expect(targets).toContainEqual(['alice', mic.sid, 'hello there (final)']);
      expect(targets).toContainEqual(['agent', io.output.trackSid, 'Hi! (final)']);
    });

    it('publishes the agent track: a remote listener hears what the output plays', async () => {
      const { driver, io } = await start();
      const listener = await (await driver.join('alice')).hearAgent({ sampleRate: 24000 });
      const heard = listener[Symbol.asyncIterator]();
      const pcm = tone(1, 24000, 8000);
      for (let at = 0; at < pcm.length; at += 480) {
        await io.output.captureFrame(new AudioFrame(pcm.slice(at, at + 480), 24000, 1, 480));
      }
      io.output.flush();
      await readUntil(heard, loud);
      await heard.return?.();
    });

    it('close is idempotent, ends the input and removes every listener; nothing left running', async () => {
      const before = activeResources();
      const alice = await (await room()).join('alice');
      const { driver, io, events, listeners, frames } = await start();
      void (await alice.publishMicrophone()).play(tone(1, 48000, 8000));
      await readUntil(frames, loud);
      await Promise.all([io.close(), io.close()]);
      await io.close();
      expect(await frames.next()).toEqual({ done: true, value: undefined });
      expect(events).toEqual(['linked alice', 'unlinked alice closed']);
      expect(listenerCounts(driver.room)).toEqual(listeners);
      expect(driver.room.localParticipant?.trackPublications.size).toBe(0);
      await driver.dispose();
      await expectNothingLeftRunning(before);
    });
  });
}
