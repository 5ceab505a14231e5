// N live streams in one process, as a room delivers them (48 kHz mono, or 16 kHz as
// RoomAudioInput delivers by default; a 10 ms frame per stream every 10 ms), for an A/B
// of two builds of the plugin one run after the other:
//
//   [SILERO_DIST=<path>/dist/index.js] pnpm exec tsx suites/vad-live.ts <streams> <seconds> [48000|16000]
//
// Prints one JSON line: CPU (all threads) over wall time, and how late stream 0's events
// were (push of a window's last frame to its INFERENCE_DONE), p50 and p99, with the load.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { audio, initializeLogger, utils, type vad } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';

initializeLogger({ pretty: false, level: 'error' });
const [streamsArg = '200', secondsArg = '10', rateArg = '48000'] = process.argv.slice(2);
const rate = Number(rateArg);
if (rate !== 48000 && rate !== 16000)
  throw new Error(`rate must be 48000 or 16000, not ${rateArg}`);
const fixture = rate === 48000 ? 'speech-48k-stereo.wav' : 'speech-16k-mono.wav';
const frameSamples = rate / 100;
const { VAD } = (await import(
  process.env.SILERO_DIST ? pathToFileURL(process.env.SILERO_DIST).href : '@agents/plugin-silero'
)) as typeof import('@agents/plugin-silero');

const wav = audio.convertChannels(
  audio.decodeWav(
    readFileSync(new URL(`../../plugins/silero/test/fixtures/${fixture}`, import.meta.url)),
  ),
  1,
);
const Frame = wav.constructor as typeof AudioFrame;
const clip: AudioFrame[] = [];
for (let at = 0; at + frameSamples <= wav.samplesPerChannel; at += frameSamples) {
  clip.push(new Frame(wav.data.slice(at, at + frameSamples), rate, 1, frameSamples));
}
const frames = Array.from({ length: Number(secondsArg) * 100 }, (_, i) => clip[i % clip.length]!);

const silero = await VAD.load();
const open: vad.VADStream[] = Array.from({ length: Number(streamsArg) }, () => silero.stream());
const pushedAt: number[] = [];
const late: number[] = [];
const readers = open.map(async (stream, s) => {
  for await (const event of stream) {
    if (s === 0 && event.type === 'inference_done') {
      late.push(performance.now() - pushedAt[Math.ceil(event.timestamp * 100 - 1e-6) - 1]!);
    }
  }
});
const start = performance.now();
const before = process.cpuUsage();
for (let i = 0; i < frames.length; i++) {
  const wait = start + i * 10 - performance.now();
  if (wait > 1) await utils.sleep(wait);
  pushedAt[i] = performance.now();
  for (const stream of open) stream.pushFrame(frames[i]!);
}
for (const stream of open) stream.endInput();
await Promise.all(readers);
const used = process.cpuUsage(before);
const wall = performance.now() - start;
late.sort((a, b) => a - b);
const at = (q: number) =>
  Number((late[Math.floor((late.length - 1) * q)] ?? Number.NaN).toFixed(1));
console.log(
  JSON.stringify({
    streams: open.length,
    rate,
    cpuPct: Number(((100 * (used.user + used.system)) / 1000 / wall).toFixed(1)),
    lateP50Ms: at(0.5),
    lateP99Ms: at(0.99),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }),
);
await silero.close();
process.exit(0);
