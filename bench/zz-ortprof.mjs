import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../plugins/silero/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const bytes = readFileSync(new URL('../plugins/silero/models/silero_vad_v5.onnx', import.meta.url));
const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', enableProfiling: true, profileFilePrefix: '/tmp/vad21-prof/ort',
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } });
const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
const samples = new Float32Array(576).map(() => Math.random() * 0.1 - 0.05);
const state = new Float32Array(256);
for (let i = 0; i < 2000; i++) { const r = await session.run({ input: new ort.Tensor('float32', samples, [1, 576]), state: new ort.Tensor('float32', state, [2, 1, 128]), sr }); state.set(r.stateN.data); }
session.endProfiling();
const f = readdirSync('/tmp/vad21-prof').filter((n) => n.startsWith('ort')).sort().at(-1);
const ev = JSON.parse(readFileSync(`/tmp/vad21-prof/${f}`, 'utf8'));
const by = new Map(); let runs = 0, runDur = 0;
for (const e of ev) {
  if (e.cat === 'Session' && e.name === 'model_run') { runs++; runDur += e.dur; }
  if (e.cat !== 'Node') continue;
  const k = `${e.args?.op_name ?? ''} ${e.name}`; by.set(k, (by.get(k) ?? 0) + e.dur);
}
console.log('runs', runs, 'model_run us/run', (runDur / runs).toFixed(1));
let sum = 0; for (const [, v] of by) sum += v; console.log('sum of node events us/run', (sum / runs).toFixed(1));
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / runs).toFixed(2).padStart(8), k);
