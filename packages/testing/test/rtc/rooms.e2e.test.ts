// Media rooms on the LiveKit stand-in, driven by @livekit/rtc-node, the client
// our agents use: joining, hearing each other, data relayed with the server's
// rules, and the server ending sessions (RemoveParticipant, DeleteRoom).
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  DisconnectReason,
  LocalAudioTrack,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { AccessToken, RoomServiceClient, type VideoGrant } from 'livekit-server-sdk';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LiveKitStandIn } from '../../src/livekit/index.js';
import { scaledMs } from '../../src/time.js';

const WAIT_MS = scaledMs(20_000);
let server: LiveKitStandIn;
const rooms: Room[] = [];
const stops: (() => void)[] = [];

beforeEach(async () => {
  server = await LiveKitStandIn.start();
});

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
  await server.close();
});

async function token(identity: string, grant: VideoGrant = {}): Promise<string> {
  const at = new AccessToken(server.apiKey, server.apiSecret, { identity });
  at.addGrant({ roomJoin: true, room: 'lobby', ...grant });
  return at.toJwt();
}

async function join(identity: string, grant?: VideoGrant): Promise<Room> {
  const room = new Room();
  rooms.push(room);
  await room.connect(server.url, await token(identity, grant), {
    autoSubscribe: true,
    dynacast: false,
  });
  return room;
}

/** Publishes a microphone playing a 440 Hz tone until the test ends. */
async function publishTone(room: Room, amplitude = 8000): Promise<void> {
  const source = new AudioSource(48_000, 1);
  const track = LocalAudioTrack.createAudioTrack('mic', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  await room.localParticipant!.publishTrack(track, options);
  let running = true;
  let phase = 0;
  stops.push(() => {
    running = false;
  });
  void (async () => {
    while (running) {
      const samples = new Int16Array(480);
      for (let i = 0; i < samples.length; i++) {
        phase += (2 * Math.PI * 440) / 48_000;
        samples[i] = Math.round(amplitude * Math.sin(phase));
      }
      await source.captureFrame(new AudioFrame(samples, 48_000, 1, samples.length));
    }
    await source.close();
  })();
}

function waitFor<T>(what: string, register: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/**
 * Reads a track until `run` 10 ms frames in a row have an RMS within [low, high]: the tone
 * heard steadily at its level. On a busy machine the first frames after the track starts may
 * be the receiver's concealment of late packets, quieter than the tone, so a run is waited for
 * rather than the first frames averaged. Gives up after `limit` frames, saying what it heard.
 */
async function steadyLevel(
  track: RemoteTrack,
  [low, high]: [number, number],
  { run = 20, limit = 2000 } = {},
): Promise<{ ok: boolean; heard: string }> {
  const stream = new AudioStream(track, { sampleRate: 48_000, numChannels: 1 });
  const levels: number[] = [];
  let inRange = 0;
  try {
    for await (const frame of stream) {
      let energy = 0;
      for (const s of frame.data) energy += s * s;
      const rms = Math.sqrt(energy / frame.data.length);
      levels.push(rms);
      inRange = rms >= low && rms <= high ? inRange + 1 : 0;
      if (inRange >= run) return { ok: true, heard: '' };
      if (levels.length >= limit) break;
    }
  } finally {
    await stream.cancel();
  }
  const sorted = [...levels].sort((x, y) => x - y);
  const at = (q: number) => Math.round(sorted[Math.floor(q * (sorted.length - 1))] ?? 0);
  return {
    ok: false,
    heard: `${levels.length} frames, RMS min ${at(0)}, median ${at(0.5)}, max ${at(1)}`,
  };
}

it('a published microphone is heard by the other participant, and its leaving is seen', async () => {
  const alice = await join('alice');
  const bob = await join('bob');
  const subscribed = waitFor<{ track: RemoteTrack; from: RemoteParticipant }>(
    'bob to subscribe to alice',
    (resolve) => bob.on(RoomEvent.TrackSubscribed, (track, _pub, from) => resolve({ track, from })),
  );
  const told = waitFor<void>('alice to learn that her track has a subscriber', (resolve) =>
    alice.on(RoomEvent.LocalTrackSubscribed, () => resolve()),
  );
  await publishTone(alice);
  const { track, from } = await subscribed;
  await told;
  expect(from.identity).toBe('alice');
  // Opus keeps a tone's level within a few per cent; 8000 peak is 5657 RMS.
  const level = await steadyLevel(track, [4500, 7000]);
  expect(level.ok, level.heard).toBe(true);
  expect(server.participants('lobby').find((p) => p.identity === 'alice')?.tracks).toHaveLength(1);

  const gone = waitFor<RemoteParticipant>('bob to see alice leave', (resolve) =>
    bob.on(RoomEvent.ParticipantDisconnected, resolve),
  );
  await alice.disconnect();
  expect((await gone).identity).toBe('alice');
  expect(server.participants('lobby').map((p) => p.identity)).toEqual(['bob']);
});

it('relays data with the sender named by the server, to the destinations asked for', async () => {
  const alice = await join('alice');
  const bob = await join('bob');
  const carol = await join('carol');
  const received: { to: string; text: string; from?: string; topic?: string }[] = [];
  let onReceived = () => {};
  for (const [name, room] of [
    ['bob', bob],
    ['carol', carol],
  ] as const) {
    room.on(RoomEvent.DataReceived, (payload, from, _kind, topic) => {
      received.push({
        to: name,
        text: Buffer.from(payload).toString(),
        from: from?.identity,
        topic,
      });
      onReceived();
    });
  }
  const allThree = waitFor<void>('three deliveries', (resolve) => {
    onReceived = () => {
      if (received.length >= 3) resolve();
    };
  });
  const enc = (text: string) => new Uint8Array(Buffer.from(text));
  await alice.localParticipant!.publishData(enc('only bob'), {
    reliable: true,
    destination_identities: ['bob'],
    topic: 't',
  });
  await alice.localParticipant!.publishData(enc('everyone'), { reliable: true, topic: 't' });
  await allThree;
  expect(received).toEqual(
    expect.arrayContaining([
      { to: 'bob', text: 'only bob', from: 'alice', topic: 't' },
      { to: 'bob', text: 'everyone', from: 'alice', topic: 't' },
      { to: 'carol', text: 'everyone', from: 'alice', topic: 't' },
    ]),
  );
  expect(received.filter((r) => r.to === 'carol' && r.text === 'only bob')).toEqual([]);
});

it('RemoveParticipant and DeleteRoom disconnect clients with the reason a real server gives', async () => {
  const service = new RoomServiceClient(server.httpUrl, server.apiKey, server.apiSecret);
  const alice = await join('alice');
  const bob = await join('bob');
  const removed = waitFor<DisconnectReason | undefined>('alice to be disconnected', (resolve) =>
    alice.on(RoomEvent.Disconnected, resolve),
  );
  expect((await service.listParticipants('lobby')).map((p) => p.identity).sort()).toEqual([
    'alice',
    'bob',
  ]);
  await service.removeParticipant('lobby', 'alice');
  expect(await removed).toBe(DisconnectReason.PARTICIPANT_REMOVED);

  const deleted = waitFor<DisconnectReason | undefined>('bob to be disconnected', (resolve) =>
    bob.on(RoomEvent.Disconnected, resolve),
  );
  await service.deleteRoom('lobby');
  expect(await deleted).toBe(DisconnectReason.ROOM_DELETED);
  expect(server.rooms()).toEqual([]);
});

it('refuses a join whose token does not allow it, with the real server status and reason', async () => {
  const room = new Room();
  rooms.push(room);
  await expect(
    room.connect(server.url, await token('mallory', { roomJoin: false }), {
      autoSubscribe: true,
      dynacast: false,
    }),
  ).rejects.toThrow(/permissions denied/);
  const forged = new AccessToken(server.apiKey, 'not-the-secret', { identity: 'mallory' });
  forged.addGrant({ roomJoin: true, room: 'lobby' });
  await expect(
    room.connect(server.url, await forged.toJwt(), { autoSubscribe: true, dynacast: false }),
  ).rejects.toThrow(/invalid authorization token/);
  expect(server.rooms()).toEqual([]);
});
