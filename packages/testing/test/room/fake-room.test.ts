import { AudioStream, DisconnectReason, type Track, TrackSource } from '@livekit/rtc-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeParticipant, FakeRemotePublication } from '../../src/fake-room.js';
import { FakeRoom } from '../../src/index.js';
import {
  activeResources,
  expectNothingLeftRunning,
  nextEvent,
  readUntil,
  rms,
  tone,
} from './fake-room-helpers.js';

let room: FakeRoom | undefined;
afterEach(async () => {
  await room?.dispose();
  room = undefined;
});

/** Handles and timers alive now, by kind (FFI handles are not among them: the native side is one addon). */
describe('FakeRoom', () => {
  it('a microphone played into is heard by an AudioStream on the subscribed publication', async () => {
    room = new FakeRoom();
    const alice = room.join('alice');
    const mic = alice.publishMicrophone({ sampleRate: 48000 });
    const [track, publication] = await nextEvent<[Track, FakeRemotePublication]>(
      room,
      'trackSubscribed',
    );
    expect(publication.track).toBe(track);
    const stream = new AudioStream(track, { sampleRate: 16000, numChannels: 1, frameSizeMs: 20 });
    const reader = stream[Symbol.asyncIterator]();
    const playing = mic.play(tone(1, 48000, 8000));
    // A full-scale 8000 sine has RMS 8000/√2 ≈ 5657; a frame that only partly sounds (the onset,
    // or a busy machine's starved source) is quieter, so wait for a whole one: a wrong level never
    // comes and the read times out.
    const frames = await readUntil(reader, (f) => rms(f) > 5000);
    const loud = frames.at(-1);
    expect(loud?.sampleRate).toBe(16000);
    expect(loud?.samplesPerChannel).toBe(320);
    expect(rms(loud!)).toBeLessThan(6200);
    await playing;
    await reader.return?.();
  });

  it('fires rtc-node events in its order, with the state it sets before each', async () => {
    room = new FakeRoom();
    const seen: string[] = [];
    const r = room;
    r.on('participantConnected', (p: FakeParticipant) =>
      seen.push(`connected ${p.identity} ${r.remoteParticipants.has(p.identity)}`),
    );
    r.on('trackPublished', (pub: FakeRemotePublication, p: FakeParticipant) =>
      seen.push(`published ${p.trackPublications.get(pub.sid) === pub} ${pub.subscribed}`),
    );
    r.on('trackSubscribed', (track: Track, pub: FakeRemotePublication) =>
      seen.push(`subscribed ${pub.subscribed} ${pub.track === track} ${track.sid === pub.sid}`),
    );
    r.on('trackMuted', (pub: FakeRemotePublication) => seen.push(`muted ${pub.muted}`));
    r.on('trackUnmuted', (pub: FakeRemotePublication) => seen.push(`unmuted ${pub.muted}`));
    r.on('trackUnsubscribed', (track: Track, pub: FakeRemotePublication) =>
      seen.push(`unsubscribed ${pub.subscribed} ${pub.track === undefined} ${track !== undefined}`),
    );
    r.on('trackUnpublished', (pub: FakeRemotePublication, p: FakeParticipant) =>
      seen.push(`unpublished ${p.trackPublications.has(pub.sid)}`),
    );
    r.on('participantDisconnected', (p: FakeParticipant) =>
      seen.push(`disconnected ${r.remoteParticipants.has(p.identity)} ${p.disconnectReason}`),
    );
    r.on('disconnected', (reason: DisconnectReason) => seen.push(`room closed ${reason}`));

    const alice = r.join('alice');
    const mic = alice.publishMicrophone();
    expect(mic.publication.source).toBe(TrackSource.SOURCE_MICROPHONE);
    await nextEvent(r, 'trackSubscribed');
    mic.mute();
    mic.unmute();
    alice.leave(DisconnectReason.PARTICIPANT_REMOVED);
    r.close();
    expect(seen).toEqual([
      'connected alice true',
      'published true false',
      'subscribed true true true',
      'muted true',
      'unmuted false',
      'unsubscribed false true true',
      'unpublished false',
      `disconnected false ${DisconnectReason.PARTICIPANT_REMOVED}`,
      `room closed ${DisconnectReason.ROOM_DELETED}`,
    ]);
    expect(r.isConnected).toBe(false);
  });

  it('without autoSubscribe, subscribes on setSubscribed(true); reconnects give new track objects', async () => {
    room = new FakeRoom({ autoSubscribe: false });
    const mic = room.join('bob').publishMicrophone();
    const subscribed = nextEvent<[Track]>(room, 'trackSubscribed');
    expect(mic.publication.subscribed).toBe(false);
    mic.publication.setSubscribed(true);
    const [first] = await subscribed;
    const order: string[] = [];
    for (const event of ['reconnecting', 'trackUnsubscribed', 'reconnected', 'trackSubscribed']) {
      room.on(event, () => order.push(event));
    }
    const again = nextEvent<[Track]>(room, 'trackSubscribed');
    await room.simulateReconnect();
    const [second] = await again;
    expect(order).toEqual(['reconnecting', 'trackUnsubscribed', 'reconnected', 'trackSubscribed']);
    expect(second).not.toBe(first);
    expect(mic.publication.track).toBe(second);
  });

  it('full reconnect: participants leave with no reason and come back with new sids', async () => {
    room = new FakeRoom();
    const mic = room.join('carol').publishMicrophone();
    await nextEvent(room, 'trackSubscribed');
    const oldSid = mic.publication.sid;
    const order: string[] = [];
    for (const event of [
      'participantDisconnected',
      'reconnecting',
      'reconnected',
      'participantConnected',
      'trackPublished',
    ]) {
      room.on(event, () => order.push(event));
    }
    const resubscribed = nextEvent(room, 'trackSubscribed');
    await room.simulateReconnect('full');
    await resubscribed;
    expect(order).toEqual([
      'participantDisconnected',
      'reconnecting',
      'reconnected',
      'participantConnected',
      'trackPublished',
    ]);
    expect(mic.publication.sid).not.toBe(oldSid);
    expect(room.remoteParticipants.get('carol')?.disconnectReason).toBeUndefined();
  });

  it('records transcriptions and fails them on request; the agent publication waits for a subscriber', async () => {
    room = new FakeRoom();
    const t = { participantIdentity: 'agent', trackSid: 'TR_x', segments: [] };
    await room.localParticipant.publishTranscription(t);
    room.failTranscriptions(1);
    await expect(room.localParticipant.publishTranscription(t)).rejects.toThrow(/failed/);
    await room.localParticipant.publishTranscription(t);
    expect(room.transcriptions.map((r) => r.transcription)).toEqual([t, t]);
    room.failTranscriptions('hang');
    const hanging = room.localParticipant.publishTranscription(t);
    await room.dispose();
    await expect(hanging).rejects.toThrow(/disposed/);
  });

  it('dispose leaves nothing running', async () => {
    const before = activeResources();
    room = new FakeRoom();
    const alice = room.join('alice');
    const mic = alice.publishMicrophone();
    const [track] = await nextEvent<[Track]>(room, 'trackSubscribed');
    const stream = new AudioStream(track, { sampleRate: 24000, numChannels: 1 });
    const reader = stream[Symbol.asyncIterator]();
    const playing = mic.play(tone(0.5, 48000, 5000));
    await readUntil(reader, (f) => rms(f) > 2000);
    await room.dispose();
    await playing;
    // The stream on the subscribed track ends (after what it had buffered).
    for (;;) {
      const next = await reader.next();
      if (next.done) break;
    }
    room = undefined;
    await expectNothingLeftRunning(before);
  });
});
