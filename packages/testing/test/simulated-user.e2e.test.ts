// SimulatedUser against the stand-in's media rooms, with a bare rtc-node
// participant playing the agent: it hears the user, speaks a tone and
// publishes transcriptions of both sides, as an agent's room binding does.
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { afterEach, expect, it } from 'vitest';
import { LiveKitStandIn, SimulatedUser, scaledMs } from '../src/index.js';

const RATE = 48_000;
const ROOM = 'simulated';

let server: LiveKitStandIn | undefined;
const rooms: Room[] = [];
const users: SimulatedUser[] = [];

afterEach(async () => {
  for (const user of users.splice(0)) await user.leave();
  for (const room of rooms.splice(0)) await room.disconnect();
  await server?.close();
  server = undefined;
});

async function joinAgent(standIn: LiveKitStandIn): Promise<Room> {
  const token = new AccessToken(standIn.apiKey, standIn.apiSecret, { identity: 'agent' });
  // Only agents' transcriptions are relayed, as on a real server.
  token.kind = 'agent';
  token.addGrant({ roomJoin: true, room: ROOM });
  const room = new Room();
  rooms.push(room);
  await room.connect(standIn.url, await token.toJwt(), { autoSubscribe: true, dynacast: false });
  return room;
}

/** A 440 Hz tone of `ms`, in 10 ms frames. */
function tone(ms: number, amplitude = 8000): AudioFrame[] {
  const frames: AudioFrame[] = [];
  let n = 0;
  for (let t = 0; t < ms; t += 10) {
    const data = new Int16Array(RATE / 100);
    for (let i = 0; i < data.length; i++, n++) {
      data[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * n) / RATE));
    }
    frames.push(new AudioFrame(data, RATE, 1, data.length));
  }
  return frames;
}

async function publishTone(room: Room, ms: number): Promise<string> {
  const source = new AudioSource(RATE, 1, 100);
  const track = LocalAudioTrack.createAudioTrack('agent-voice', source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  const publication = await room.localParticipant?.publishTrack(track, options);
  for (const frame of tone(ms)) await source.captureFrame(frame);
  // Silence after the tone, so the user hears it end.
  for (let i = 0; i < 50; i++)
    await source.captureFrame(new AudioFrame(new Int16Array(480), RATE, 1, 480));
  await source.waitForPlayout();
  return publication?.sid ?? '';
}

/** Resolves with the loudest 10 ms RMS heard from the first remote audio track once it passes `floor`. */
function hearLoud(room: Room, floor: number): Promise<number> {
  return new Promise((resolve) => {
    room.on(RoomEvent.TrackSubscribed, async (track: RemoteTrack) => {
      for await (const frame of new AudioStream(track, { sampleRate: RATE, numChannels: 1 })) {
        let sum = 0;
        for (const s of frame.data) sum += s * s;
        const level = Math.sqrt(sum / frame.data.length);
        if (level >= floor) return resolve(level);
      }
    });
  });
}

it(
  'speaks a WAV-like feed the agent hears, hears the agent start and stop, and reads both sides’ transcriptions',
  async () => {
    server = await LiveKitStandIn.start();
    const agent = await joinAgent(server);
    const agentHears = hearLoud(agent, 2000);
    const user = await SimulatedUser.join(server, ROOM, {
      identity: 'alice',
      agentIdentity: 'agent',
    });
    users.push(user);
    expect(
      server
        .participants(ROOM)
        .map((p) => p.identity)
        .sort(),
    ).toEqual(['agent', 'alice']);

    await user.speak(tone(1000));
    expect(await agentHears).toBeGreaterThan(2000);

    const before = performance.now();
    const trackSid = await publishTone(agent, 800);
    const started = await user.waitForAudio({ minRms: 2000, since: before });
    expect(started.identity).toBe('agent');
    const ended = await user.waitForSilence({ maxRms: 2000, since: before, forMs: 200 });
    expect(ended).toBeGreaterThanOrEqual(started.at);
    // ~800 ms of tone at 10 ms blocks: most of it heard loud.
    const loud = user.heard().filter((b) => b.at >= before && b.rms >= 2000);
    expect(loud.length).toBeGreaterThan(40);

    // The agent transcribes the user, then answers: an interim then final segment each.
    const local = agent.localParticipant;
    await local?.publishTranscription({
      participantIdentity: 'alice',
      trackSid: 'TR_user',
      segments: [
        {
          id: 'SG_u',
          text: 'what is the',
          startTime: 0n,
          endTime: 0n,
          language: 'en',
          final: false,
        },
      ],
    });
    await local?.publishTranscription({
      participantIdentity: 'alice',
      trackSid: 'TR_user',
      segments: [
        {
          id: 'SG_u',
          text: 'what is the weather',
          startTime: 0n,
          endTime: 0n,
          language: 'en',
          final: true,
        },
      ],
    });
    await local?.publishTranscription({
      participantIdentity: 'agent',
      trackSid,
      segments: [
        {
          id: 'SG_a',
          text: 'Sunny in Paris.',
          startTime: 0n,
          endTime: 0n,
          language: 'en',
          final: true,
        },
      ],
    });
    const reply = await user.waitForTranscription(
      (t) => t.participantIdentity === 'agent' && t.final,
    );
    expect(reply).toMatchObject({ text: 'Sunny in Paris.', trackSid, id: 'SG_a' });
    expect(user.finalTexts('alice')).toEqual(['what is the weather']);
    expect(
      user
        .transcriptions()
        .filter((t) => t.id === 'SG_u')
        .map((t) => t.final),
    ).toEqual([false, true]);

    const gone = new Promise<string>((resolve) =>
      agent.on(RoomEvent.ParticipantDisconnected, (p) => resolve(p.identity)),
    );
    await user.leave();
    expect(await gone).toBe('alice');
    expect(server.participants(ROOM).map((p) => p.identity)).toEqual(['agent']);
  },
  scaledMs(60_000),
);

it('fails a wait with what it waited for and what it saw', async () => {
  server = await LiveKitStandIn.start();
  const user = await SimulatedUser.join(server, ROOM, { identity: 'bob' });
  users.push(user);
  await expect(user.waitForAudio({ timeoutMs: 200 })).rejects.toThrow(
    /SimulatedUser bob: no audio with RMS >= 300 within 200 ms; seen: no audio in 0 blocks; 0 transcription updates; remote participants: none/,
  );
  const waiting = user.waitForTranscription(() => true, { what: 'the agent’s greeting' });
  await user.leave();
  await expect(waiting).rejects.toThrow(/the agent’s greeting: bob left the room/);
  await expect(user.speak(tone(10))).rejects.toThrow(/bob cannot speak: it left the room/);
});

it('refuses to join with a token the server does not accept, within its deadline', async () => {
  server = await LiveKitStandIn.start();
  const wrongKey = { url: server.url, apiKey: server.apiKey, apiSecret: 'not-the-secret' };
  const refused = await SimulatedUser.join(wrongKey, ROOM, { identity: 'eve' }).catch((e) => e);
  expect(String(refused)).toMatch(/401 Unauthorized.*signature verification failed/);
  expect(() => server?.participants(ROOM)).toThrow(/does not exist/);
});
