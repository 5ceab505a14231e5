import { voice } from '@agents/core';
import { AudioFrame, DisconnectReason, ParticipantKind } from '@livekit/rtc-node';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRoom, scaledMs } from '../../src/index.js';
import {
  activeResources,
  expectNothingLeftRunning,
  nextEvent,
  readUntil,
  rms,
  tone,
} from './fake-room-helpers.js';

type Linked = { identity: string };
type Unlinked = { identity: string; reason: string; disconnectReason?: DisconnectReason };

const loud = (f: AudioFrame) => rms(f) > 4000;
const soft = (f: AudioFrame) => rms(f) > 1000 && rms(f) < 3000;

let room: FakeRoom | undefined;
let io: voice.RoomIO | undefined;
afterEach(async () => {
  await io?.close();
  await room?.dispose();
  io = undefined;
  room = undefined;
});

async function start(options: voice.RoomIOOptions = {}, fake = new FakeRoom()) {
  room = fake;
  io = await voice.RoomIO.create(room, {
    input: { sampleRate: 16000 },
    output: { subscriberTimeoutMs: 0 },
    ...options,
  });
  const events: string[] = [];
  io.on('participant_linked', ({ identity }) => events.push(`linked ${identity}`));
  io.on('participant_unlinked', ({ identity, reason, disconnectReason }) =>
    events.push(`unlinked ${identity} ${reason}${disconnectReason ? ` ${disconnectReason}` : ''}`),
  );
  // Events of create()'s own linking come just after it resolved.
  await new Promise((resolve) => setImmediate(resolve));
  return { room, io, events, frames: io.input[Symbol.asyncIterator]() };
}

const linked = (emitter: voice.RoomIO, identity?: string) =>
  nextEvent<[Linked]>(
    emitter,
    'participant_linked',
    5000,
    (e) => !identity || e.identity === identity,
  );
const unlinked = (emitter: voice.RoomIO) => nextEvent<[Unlinked]>(emitter, 'participant_unlinked');

describe('RoomIO', () => {
  it('refuses a room that is not connected, saying what to do', async () => {
    room = new FakeRoom();
    room.close();
    await expect(voice.RoomIO.create(room)).rejects.toThrow(
      'connect to the room first: await ctx.connect()',
    );
    expect(room.eventNames()).toEqual([]);
  });

  it('links the first participant present who is not an agent', async () => {
    const fake = new FakeRoom();
    fake.join('other-agent', { kind: ParticipantKind.AGENT });
    fake.join('recorder', { kind: ParticipantKind.EGRESS });
    const alice = fake.join('alice');
    fake.join('bob');
    const { io, frames } = await start({}, fake);
    expect(io.linkedIdentity).toBe('alice');
    void alice.publishMicrophone().play(tone(2, 48000, 8000));
    await readUntil(frames, loud);
  });

  it('links a participant who joins later, skipping an agent who joins first', async () => {
    const { room, io, events } = await start();
    expect(io.linkedIdentity).toBeUndefined();
    room.join('helper-agent', { kind: ParticipantKind.AGENT });
    const link = linked(io);
    room.join('carol');
    expect((await link)[0].identity).toBe('carol');
    expect(events).toEqual(['linked carol']);
  });

  it('with a fixed identity, links only them, when they join, and again when they rejoin', async () => {
    const fake = new FakeRoom();
    fake.join('bob');
    const { room, io, events, frames } = await start({ participantIdentity: 'alice' }, fake);
    expect(io.linkedIdentity).toBeUndefined();
    let alice = room.join('alice');
    expect(io.linkedIdentity).toBe('alice');
    alice.leave(DisconnectReason.SIGNAL_CLOSE);
    expect(io.linkedIdentity).toBeUndefined();
    alice = room.join('alice');
    void alice.publishMicrophone().play(tone(2, 48000, 8000));
    await readUntil(frames, loud);
    expect(events).toEqual([
      'linked alice',
      `unlinked alice left ${DisconnectReason.SIGNAL_CLOSE}`,
      'linked alice',
    ]);
  });

  it('when the participant leaves: unlinked with the reason, a silence tail, the next one linked and heard', async () => {
    const fake = new FakeRoom();
    const alice = fake.join('alice');
    const bob = fake.join('bob');
    const { events, frames } = await start({}, fake);
    void alice.publishMicrophone().play(tone(6, 48000, 8000));
    void bob.publishMicrophone().play(tone(6, 48000, 2500));
    await readUntil(frames, loud);
    alice.leave(DisconnectReason.CLIENT_INITIATED);
    expect(events).toEqual([
      'linked alice',
      `unlinked alice left ${DisconnectReason.CLIENT_INITIATED}`,
      'linked bob',
    ]);
    let run = 0;
    const afterLeave = await readUntil(frames, soft);
    for (const frame of afterLeave) run = frame.data.every((s) => s === 0) ? run + 1 : run;
    expect(run).toBeGreaterThanOrEqual(25);
    expect(afterLeave.some(loud)).toBe(false);
    expect(voice.leftForGood(DisconnectReason.CLIENT_INITIATED)).toBe(true);
  });

  it('linkParticipant switches to them and keeps them when others join', async () => {
    const fake = new FakeRoom();
    fake.join('alice');
    fake.join('bob');
    const { room, io, events } = await start({}, fake);
    io.linkParticipant('bob');
    room.join('erin');
    expect(io.linkedIdentity).toBe('bob');
    expect(events).toEqual(['linked alice', 'unlinked alice unlinked', 'linked bob']);
  });

  it('unlinkParticipant stops listening; the next participant to join is linked', async () => {
    const fake = new FakeRoom();
    fake.join('carol');
    const { room, io, events } = await start({}, fake);
    io.unlinkParticipant();
    expect(io.linkedIdentity).toBeUndefined();
    room.join('dave');
    expect(events).toEqual(['linked carol', 'unlinked carol unlinked', 'linked dave']);
  });

  it('a full reconnect unlinks with no reason (not for good) and links the same participant again; audio flows', async () => {
    const fake = new FakeRoom();
    const alice = fake.join('alice');
    const { room, io, events, frames } = await start({}, fake);
    void alice.publishMicrophone().play(tone(8, 48000, 8000));
    await readUntil(frames, loud);
    const unlink = unlinked(io);
    const relink = linked(io, 'alice');
    await room.simulateReconnect('full');
    const [{ disconnectReason }] = await unlink;
    await relink;
    expect(voice.leftForGood(disconnectReason)).toBe(false);
    expect(events).toEqual(['linked alice', 'unlinked alice left', 'linked alice']);
    await readUntil(frames, (f) => f.data.every((s) => s === 0));
    await readUntil(frames, loud);
  });

  it('the room closing unlinks with reason closed', async () => {
    const fake = new FakeRoom();
    fake.join('alice');
    const { room, events } = await start({}, fake);
    room.close(DisconnectReason.ROOM_DELETED);
    expect(events).toEqual(['linked alice', 'unlinked alice closed']);
  });

  it("publishes the user's words for the linked participant's microphone and the agent's for its track", async () => {
    const fake = new FakeRoom();
    const mic = fake.join('alice').publishMicrophone();
    const { room, io } = await start({}, fake);
    await io.userTranscript?.captureText('hello there');
    io.userTranscript?.flush();
    await io.agentTranscript?.captureText({ text: 'Hi!', start: 0, end: 0.3 });
    io.agentTranscript?.flush();
    const deadline = performance.now() + scaledMs(5000);
    while (room.transcriptions.length < 2 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const targets = room.transcriptions.map(({ transcription: t }) => [
      t.participantIdentity,
      t.trackSid,
      t.segments.map((s) => `${s.text}${s.final ? ' (final)' : ''}`).join('|'),
    ]);
    expect(targets).toContainEqual(['alice', mic.publication.sid, 'hello there (final)']);
    expect(targets).toContainEqual(['agent', io.output.trackSid, 'Hi! (final)']);
  });

  it('publishes the agent track: a remote listener hears what the output plays', async () => {
    const { room, io } = await start();
    const listener = room.listenToAgent({ sampleRate: 24000 });
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
    const fake = new FakeRoom();
    const alice = fake.join('alice');
    const { room, io, events, frames } = await start({}, fake);
    void alice.publishMicrophone().play(tone(1, 48000, 8000));
    await readUntil(frames, loud);
    await Promise.all([io.close(), io.close()]);
    await io.close();
    expect(await frames.next()).toEqual({ done: true, value: undefined });
    expect(events).toEqual(['linked alice', 'unlinked alice closed']);
    expect(room.eventNames()).toEqual([]);
    expect(room.localParticipant.trackPublications.size).toBe(0);
    await room.dispose();
    await expectNothingLeftRunning(before);
  });

  it('leftForGood: hung up, removed, room gone, SIP call over; not network trouble or unknown', () => {
    const forGood = [
      DisconnectReason.CLIENT_INITIATED,
      DisconnectReason.PARTICIPANT_REMOVED,
      DisconnectReason.ROOM_DELETED,
      DisconnectReason.ROOM_CLOSED,
      DisconnectReason.USER_REJECTED,
      DisconnectReason.USER_UNAVAILABLE,
      DisconnectReason.SIP_TRUNK_FAILURE,
    ];
    for (const reason of forGood) expect(voice.leftForGood(reason)).toBe(true);
    for (const reason of [
      undefined,
      DisconnectReason.UNKNOWN_REASON,
      DisconnectReason.DUPLICATE_IDENTITY,
      DisconnectReason.SIGNAL_CLOSE,
      DisconnectReason.CONNECTION_TIMEOUT,
      DisconnectReason.MEDIA_FAILURE,
      DisconnectReason.SERVER_SHUTDOWN,
      DisconnectReason.MIGRATION,
    ]) {
      expect(voice.leftForGood(reason)).toBe(false);
    }
  });
});
