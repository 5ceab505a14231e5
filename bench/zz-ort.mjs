import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../plugins/silero/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const bytes = readFileSync(new URL('../plugins/silero/models/silero_vad_v5.onnx', import.meta.url));
const base = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } };
const variants = {
  base: { opts: {} },
  reuse: { opts: {}, reuse: true },
  reuseFetch: { opts: {}, reuse: true, fetch: true },
  noArena: { opts: { enableCpuMemArena: false } },
  noPattern: { opts: { enableMemPattern: false } },
  extended: { opts: { graphOptimizationLevel: 'extended' } },
  basic: { opts: { graphOptimizationLevel: 'basic' } },
  daz: { opts: { extra: { session: { set_denormal_as_zero: '1', intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } },
  noPrepack: { opts: { extra: { session: { disable_prepacking: '1', intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } },
};
const pick = (process.env.V ?? Object.keys(variants).join(',')).split(',');
const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
const setups = [];
for (const name of pick) {
  const v = variants[name];
  const session = await ort.InferenceSession.create(bytes, { ...base, ...v.opts });
  const samples = new Float32Array(576).map(() => Math.random() * 0.1 - 0.05);
  const state = new Float32Array(256);
  const inT = new ort.Tensor('float32', samples, [1, 576]);
  const stT = new ort.Tensor('float32', state, [2, 1, 128]);
  const outP = new ort.Tensor('float32', new Float32Array(1), [1, 1]);
  const outS = new ort.Tensor('float32', new Float32Array(256), [2, 1, 128]);
  const call = async () => {
    const feeds = v.reuse ? { input: inT, state: stT, sr } : { input: new ort.Tensor('float32', samples, [1, 576]), state: new ort.Tensor('float32', state, [2, 1, 128]), sr };
    const r = v.fetch ? await session.run(feeds, { output: outP, stateN: outS }) : await session.run(feeds);
    state.set(r.stateN.data);
    return r.output.data[0];
  };
  for (let i = 0; i < 200; i++) await call();
  setups.push({ name, call, paced: [], flat: [] });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rounds = Number(process.env.ROUNDS ?? 4);
for (let round = 0; round < rounds; round++) {
  for (const s of setups) {
    for (let i = 0; i < 40; i++) {
      await sleep(32);
      const c = process.cpuUsage(); await s.call(); const d = process.cpuUsage(c);
      s.paced.push(d.user + d.system);
    }
    const c = process.cpuUsage(); for (let i = 0; i < 500; i++) await s.call(); const d = process.cpuUsage(c);
    s.flat.push((d.user + d.system) / 500);
  }
}
const med = (a) => { const b = [...a].sort((x, y) => x - y); return b[Math.floor(b.length / 2)]; };
for (const s of setups) console.log(s.name.padEnd(12), 'paced us/call median', med(s.paced), 'mean', (s.paced.reduce((a, b) => a + b, 0) / s.paced.length).toFixed(0), '| flat us/call', s.flat.map((x) => x.toFixed(0)).join(' '));
console.log(readFileSync('/proc/loadavg', 'utf8').trim());
