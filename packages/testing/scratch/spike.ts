import { AudioFrame, AudioSource, AudioStream, LocalAudioTrack, Room, RoomEvent, TrackPublishOptions, TrackSource, TrackKind } from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { LiveKitStandIn } from '../src/index.js';

const server = await LiveKitStandIn.start();
async function token(identity: string) {
  const t = new AccessToken(server.apiKey, server.apiSecret, { identity });
  t.addGrant({ roomJoin: true, room: 'spike' });
  return t.toJwt();
}
const t0 = Date.now();
const a = new Room();
await a.connect(server.url, await token('alice'), { autoSubscribe: true, dynacast: false });
console.log('alice connected', Date.now() - t0);
const b = new Room();
const heard = new Promise<void>((resolve) => {
  b.on(RoomEvent.TrackSubscribed, async (track, pub, participant) => {
    console.log('bob subscribed', participant.identity, pub.sid, Date.now() - t0);
    const stream = new AudioStream(track, { sampleRate: 48000, numChannels: 1 });
    let n = 0; let sum = 0; let count = 0;
    for await (const frame of stream) {
      for (const s of frame.data) { sum += s * s; count++; }
      if (++n === 100) break;
    }
    console.log('bob heard rms', Math.sqrt(sum / count).toFixed(0), Date.now() - t0);
    resolve();
  });
});
await b.connect(server.url, await token('bob'), { autoSubscribe: true, dynacast: false });
console.log('bob connected', Date.now() - t0);
const source = new AudioSource(48000, 1);
const track = LocalAudioTrack.createAudioTrack('mic', source);
const opts = new TrackPublishOptions(); opts.source = TrackSource.SOURCE_MICROPHONE;
await a.localParticipant!.publishTrack(track, opts);
console.log('alice published', Date.now() - t0);
let phase = 0; let stop = false;
void (async () => {
  while (!stop) {
    const data = new Int16Array(480);
    for (let i = 0; i < 480; i++) data[i] = Math.round(8000 * Math.sin(phase += 2 * Math.PI * 440 / 48000));
    await source.captureFrame(new AudioFrame(data, 48000, 1, 480));
  }
})();
const got = await Promise.race([heard.then(() => 'ok'), new Promise((r) => setTimeout(() => r('timeout'), 20000))]);
console.log('result', got, 'participants', server.participants('spike').map((p) => p.identity));
stop = true;
await a.disconnect(); await b.disconnect();
await server.close();
process.exit(0);
