// Silero stream fed the same speech as 20 ms frames at 24 kHz (resampled inside) or 16 kHz (passed through).
import { readFileSync } from 'node:fs';
import { audio } from '@agents/core';
import { VAD } from '@agents/plugin-silero';
import { AudioFrame, dispose } from '@livekit/rtc-node';

const wav = audio.decodeWav(
  readFileSync(new URL('../plugins/silero/test/fixtures/speech-16k-mono.wav', import.meta.url)),
);
const rep = 4;
const data = new Int16Array(wav.samplesPerChannel * rep);
for (let r = 0; r < rep; r++) data.set(wav.data, r * wav.samplesPerChannel);
const src = new AudioFrame(data, 16000, 1, data.length);
const at = { 16000: src, 24000: audio.combineFrames(audio.resampleFrames(src, 24000)) };
const frames = (rate) => {
  const f = at[rate];
  const n = rate / 50;
  const out = [];
  for (let i = 0; i + n <= f.samplesPerChannel; i += n)
    out.push(new AudioFrame(f.data.slice(i, i + n), rate, 1, n));
  return out;
};
const vad = await VAD.load();
async function run(rate) {
  const list = frames(rate);
  const s = vad.stream();
  const reading = (async () => {
    for await (const _ of s) {
    }
  })();
  const t = process.cpuUsage();
  for (const f of list) await s.write(f);
  s.endInput();
  await reading;
  const c = process.cpuUsage(t);
  await s.close();
  return (c.user + c.system) / 1000 / (list.length * 0.02); // CPU ms per audio second
}
await run(24000);
await run(16000);
const r = { 24000: [], 16000: [] };
for (let k = 0; k < 7; k++) {
  r[24000].push(await run(24000));
  r[16000].push(await run(16000));
}
const med = (a) => [...a].sort((x, y) => x - y)[3];
const ratio = med(r[16000].map((x, i) => x / r[24000][i]));
console.log(
  `silero stream, 20 ms frames: 24 kHz in ${med(r[24000]).toFixed(2)} CPU ms per audio s, 16 kHz in ${med(r[16000]).toFixed(2)}; 16k/24k ${ratio.toFixed(2)} (median of 7 pairs)`,
);
await vad.close();
await dispose();
