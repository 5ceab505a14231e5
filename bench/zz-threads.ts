import { readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { audio, initializeLogger } from '@agents/core';
import { fixture, realTimeLoad, tenMsFrames } from './suites/vad.js';
initializeLogger({ pretty: false, level: 'error' });
const { VAD } = (await import(process.env.SILERO_DIST ? pathToFileURL(process.env.SILERO_DIST).href : '@agents/plugin-silero')) as typeof import('@agents/plugin-silero');
const streams = Number(process.argv[2] ?? 1);
const frames = tenMsFrames(audio.convertChannels(fixture('speech-48k-stereo'), 1), Number(process.argv[3] ?? 15));
const silero = await VAD.load();
const snap = () => Object.fromEntries(readdirSync('/proc/self/task').map((t) => {
  const comm = readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
  const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [`${t} ${comm}`, [Number(f[11]), Number(f[12])]];
}));
const a = snap(); const ru0 = process.resourceUsage();
const t0 = performance.now();
const { cpu } = await realTimeLoad(silero, streams, frames);
const wall = performance.now() - t0; const b = snap(); const ru1 = process.resourceUsage();
for (const k of Object.keys(b)) { const [u0, s0] = a[k] ?? [0, 0]; const [u1, s1] = b[k]!; if (u1 - u0 + s1 - s0 > 0) console.log(k, 'user', ((u1 - u0) * 10 / wall * 100).toFixed(2), '% sys', ((s1 - s0) * 10 / wall * 100).toFixed(2), '%'); }
console.log('cpu', (cpu * 100).toFixed(2), 'ctx vol', ru1.voluntaryContextSwitches - ru0.voluntaryContextSwitches, 'invol', ru1.involuntaryContextSwitches - ru0.involuntaryContextSwitches, 'user', ((ru1.userCPUTime - ru0.userCPUTime) / 1000 / wall * 100).toFixed(2), 'sys', ((ru1.systemCPUTime - ru0.systemCPUTime) / 1000 / wall * 100).toFixed(2));
await silero.close(); process.exit(0);
