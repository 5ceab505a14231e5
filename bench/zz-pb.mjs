// Experiment: the Silero model with `sr` turned from an input into a constant initializer.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../plugins/silero/package.json', import.meta.url));
const ort = require('onnxruntime-node');
const bytes = readFileSync(new URL('../plugins/silero/models/silero_vad_v5.onnx', import.meta.url));
function varint(buf, at) { let v = 0, shift = 0, b; do { b = buf[at++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80); return [v, at]; }
function encVarint(v) { const out = []; do { let b = v % 128; v = Math.floor(v / 128); if (v > 0) b |= 0x80; out.push(b); } while (v > 0); return Buffer.from(out); }
function fields(buf) { const list = []; let at = 0; while (at < buf.length) { const start = at; let key; [key, at] = varint(buf, at); const field = Math.floor(key / 8), wire = key & 7; let body; if (wire === 0) { [, at] = varint(buf, at); } else if (wire === 2) { let len; [len, at] = varint(buf, at); body = buf.subarray(at, at + len); at += len; } else if (wire === 5) at += 4; else if (wire === 1) at += 8; else throw new Error('wire ' + wire); list.push({ field, wire, raw: buf.subarray(start, at), body }); } return list; }
const lenField = (field, body) => Buffer.concat([encVarint(field * 8 + 2), encVarint(body.length), body]);
const str = (b) => Buffer.from(b).toString();
export function withConstantRate(model, rate) {
  const top = fields(model);
  const out = [];
  for (const f of top) {
    if (f.field !== 7) { out.push(f.raw); continue; }
    const graph = fields(f.body);
    const kept = graph.filter((g) => !(g.field === 11 && str(fields(g.body).find((x) => x.field === 1).body) === 'sr'));
    if (kept.length !== graph.length - 1) throw new Error('no sr input');
    const raw = Buffer.alloc(8); raw.writeBigInt64LE(BigInt(rate));
    const tensor = Buffer.concat([Buffer.from([2 << 3, 7]), lenField(8, Buffer.from('sr')), lenField(9, raw)]);
    const body = Buffer.concat([...kept.map((g) => g.raw), lenField(5, tensor)]);
    out.push(lenField(7, body));
  }
  return Buffer.concat(out);
}
const base = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } };
const fixed = withConstantRate(bytes, 16000);
const sessions = { input: await ort.InferenceSession.create(bytes, base), constant: await ort.InferenceSession.create(fixed, base) };
console.log('constant inputs', sessions.constant.inputNames);
const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
const samples = new Float32Array(576 * 40).map((_, i) => Math.sin(i / 7) * 0.05 + (Math.random() - 0.5) * 0.01);
const res = {};
for (const [name, s] of Object.entries(sessions)) {
  const state = new Float32Array(256); const probs = [];
  for (let w = 0; w < 40; w++) { const feeds = { input: new ort.Tensor('float32', samples.subarray(w * 576, (w + 1) * 576), [1, 576]), state: new ort.Tensor('float32', state, [2, 1, 128]) }; if (name === 'input') feeds.sr = sr; const r = await s.run(feeds); state.set(r.stateN.data); probs.push(r.output.data[0]); }
  res[name] = probs;
}
console.log('same probabilities', res.input.every((p, i) => p === res.constant[i]), res.input.slice(0, 3), res.constant.slice(0, 3));
const times = { input: [], constant: [] };
for (let round = 0; round < 6; round++) for (const [name, s] of Object.entries(sessions)) {
  const state = new Float32Array(256); const c = process.cpuUsage();
  for (let i = 0; i < 1000; i++) { const feeds = { input: new ort.Tensor('float32', samples.subarray(0, 576), [1, 576]), state: new ort.Tensor('float32', state, [2, 1, 128]) }; if (name === 'input') feeds.sr = sr; const r = await s.run(feeds); state.set(r.stateN.data); }
  const d = process.cpuUsage(c); times[name].push(((d.user + d.system) / 1000).toFixed(0));
}
console.log(times, readFileSync('/proc/loadavg', 'utf8').trim());
