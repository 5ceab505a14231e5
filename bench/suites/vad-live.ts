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
import { audio, initializeLogger } from '@agents/core';
import { fixture, realTimeLoad, tenMsFrames } from './vad.js';

initializeLogger({ pretty: false, level: 'error' });
const [streamsArg = '200', secondsArg = '10', rateArg = '48000'] = process.argv.slice(2);
const rate = Number(rateArg);
if (rate !== 48000 && rate !== 16000)
  throw new Error(`rate must be 48000 or 16000, not ${rateArg}`);
const name = rate === 48000 ? 'speech-48k-stereo' : 'speech-16k-mono';
const { VAD } = (await import(
  process.env.SILERO_DIST ? pathToFileURL(process.env.SILERO_DIST).href : '@agents/plugin-silero'
)) as typeof import('@agents/plugin-silero');

const frames = tenMsFrames(audio.convertChannels(fixture(name), 1), Number(secondsArg));
const silero = await VAD.load();
const { cpu, lateMs: late } = await realTimeLoad(silero, Number(streamsArg), frames);
late.sort((a, b) => a - b);
const at = (q: number) =>
  Number((late[Math.floor((late.length - 1) * q)] ?? Number.NaN).toFixed(1));
console.log(
  JSON.stringify({
    streams: Number(streamsArg),
    rate,
    cpuPct: Number((100 * cpu).toFixed(1)),
    lateP50Ms: at(0.5),
    lateP99Ms: at(0.99),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }),
);
await silero.close();
process.exit(0);
