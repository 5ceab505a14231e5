// The room path's own delay: audio captured on one participant's AudioSource
// until it is decoded on another's AudioStream, through the stand-in's
// forwarding unit over loopback. Both directions (user → agent, agent → user)
// are the same path here, measured at once.
import { LiveKitStandIn } from '@agents/testing';
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
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';

const RATE = 48_000;
const FRAME = RATE / 100; // 10 ms
const ONSETS = 20;
/** Each cycle: a tone burst, then silence long enough for the jitter buffer to drain. */
const TONE_MS = 200;
const CYCLE_MS = 600;
const THRESHOLD_RMS = 1000;

async function join(server: LiveKitStandIn, identity: string): Promise<Room> {
  const token = new AccessToken(server.apiKey, server.apiSecret, { identity });
  token.addGrant({ roomJoin: true, room: 'bench' });
  const room = new Room();
  await room.connect(server.url, await token.toJwt(), { autoSubscribe: true, dynacast: false });
  return room;
}

/** Sends tone bursts in real time (one 10 ms frame per 10 ms of clock); returns each onset's capture time. */
async function speak(room: Room): Promise<number[]> {
  const source = new AudioSource(RATE, 1, 100);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  await room.localParticipant!.publishTrack(
    LocalAudioTrack.createAudioTrack('mic', source),
    options,
  );
  // Let the subscriber's connection settle before the first onset.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const onsets: number[] = [];
  const start = performance.now();
  let phase = 0;
  const frames = (ONSETS * CYCLE_MS) / 10;
  for (let i = 0; i < frames; i++) {
    const due = start + i * 10;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const inTone = (i * 10) % CYCLE_MS < TONE_MS;
    const samples = new Int16Array(FRAME);
    if (inTone) {
      for (let s = 0; s < FRAME; s++) {
        phase += (2 * Math.PI * 440) / RATE;
        samples[s] = Math.round(8000 * Math.sin(phase));
      }
    }
    if (inTone && (i * 10) % CYCLE_MS === 0) onsets.push(performance.now());
    await source.captureFrame(new AudioFrame(samples, RATE, 1, FRAME));
  }
  await source.close();
  return onsets;
}

/** Arrival time of each burst's first loud frame. */
async function listen(track: RemoteTrack, count: number): Promise<number[]> {
  const arrivals: number[] = [];
  let loud = false;
  const stream = new AudioStream(track, { sampleRate: RATE, numChannels: 1 });
  for await (const frame of stream) {
    let energy = 0;
    for (const s of frame.data) energy += s * s;
    const rms = Math.sqrt(energy / frame.data.length);
    if (rms >= THRESHOLD_RMS && !loud) arrivals.push(performance.now());
    loud = rms >= THRESHOLD_RMS / 4 ? loud || rms >= THRESHOLD_RMS : false;
    if (arrivals.length >= count) break;
  }
  await stream.cancel();
  return arrivals;
}

function subscribed(room: Room): Promise<RemoteTrack> {
  return new Promise((resolve) => room.once(RoomEvent.TrackSubscribed, (track) => resolve(track)));
}

export const roomSuite: Suite = {
  name: 'room',
  async run(): Promise<Row[]> {
    const server = await LiveKitStandIn.start();
    const user = await join(server, 'user');
    const agent = await join(server, 'agent');
    const agentHearsUser = subscribed(agent);
    const userHearsAgent = subscribed(user);
    const [userOnsets, agentOnsets, atAgent, atUser] = await Promise.all([
      speak(user),
      speak(agent),
      agentHearsUser.then((track) => listen(track, ONSETS)),
      userHearsAgent.then((track) => listen(track, ONSETS)),
    ]);
    await Promise.all([user.disconnect(), agent.disconnect()]);
    await server.close();
    const delays = (sent: number[], heard: number[]) => sent.map((t, i) => heard[i]! - t);
    const row = (name: string, ms: number[]): Row => ({
      name,
      result: `${fmt(median(ms), 0)} ms median, ${fmt(percentile(ms, 95), 0)} ms p95`,
      detail: `${ms.length} tone onsets, AudioSource.captureFrame → first loud frame of the other's AudioStream, 48 kHz, loopback`,
    });
    return [
      row('user audio published → agent hears it', delays(userOnsets, atAgent)),
      row('agent audio captured → user hears it', delays(agentOnsets, atUser)),
    ];
  },
};
