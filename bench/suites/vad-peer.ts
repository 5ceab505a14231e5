// Our Silero VAD next to @livekit/agents-plugin-silero on the same audio, in the same run.
// The peer is installed from npm into bench/peer/ (ignored by git; the workspace and CI never
// depend on it). Each measurement is a fresh process running suites/vad-side.mjs for one
// side, alternating ours and the peer's, so a change in the machine's load hits both alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median, type Row } from '../measure.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const peerDir = join(benchDir, 'peer');
const PEER = '@livekit/agents-plugin-silero@1';

/**
 * Installs the peer once (later runs reuse it; delete bench/peer/ to update). Its
 * onnxruntime-node postinstall is skipped: on linux x64 it only downloads CUDA extras, and
 * the CPU binary ships inside the package, which is checked here.
 */
function installPeer(): { silero: string; onnxruntime: string } {
  const modules = join(peerDir, 'node_modules');
  mkdirSync(peerDir, { recursive: true });
  writeFileSync(join(peerDir, '.gitignore'), '*\n');
  if (!existsSync(join(modules, '@livekit/agents-plugin-silero/package.json'))) {
    mkdirSync(peerDir, { recursive: true });
    writeFileSync(
      join(peerDir, 'package.json'),
      '{ "name": "vad-peer", "private": true, "type": "module" }\n',
    );
    // npm would read pnpm's settings from the environment `pnpm bench` runs in.
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!/^(npm|pnpm)_/i.test(key)) env[key] = value;
    }
    process.stderr.write(`installing ${PEER} into ${peerDir}...\n`);
    const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', PEER], {
      cwd: peerDir,
      env: { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (result.status !== 0) {
      throw new Error(`npm install ${PEER} in ${peerDir} failed:\n${result.stderr}`);
    }
  }
  const version = (name: string) =>
    JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')).version as string;
  const onnxruntime = version('onnxruntime-node');
  const bin = join(modules, 'onnxruntime-node/bin');
  const binding = readdirSync(bin)
    .map((napi) => join(bin, napi, process.platform, process.arch, 'onnxruntime_binding.node'))
    .find((path) => existsSync(path));
  if (!binding) {
    throw new Error(
      `the peer's onnxruntime-node ${onnxruntime} has no binary for ` +
        `${process.platform}/${process.arch} under ${bin}; delete ${peerDir} and run again`,
    );
  }
  return { silero: version('@livekit/agents-plugin-silero'), onnxruntime };
}

type Side = 'ours' | 'peer';

/** One process of suites/vad-side.mjs: CPU milliseconds of the measured part. */
function side(which: Side, mode: 'flat' | 'live', fixture: string, seconds: number): number {
  const out = execFileSync(
    process.execPath,
    [join(benchDir, 'suites/vad-side.mjs'), which, mode, fixture, String(seconds)],
    {
      cwd: benchDir,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, LOG_LEVEL: 'error' },
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '').cpuMs;
}

/** `runs` rounds of ours then the peer's; medians of CPU per second of audio, in ms. */
function alternate(mode: 'flat' | 'live', fixture: string, seconds: number, runs: number) {
  const cpu: Record<Side, number[]> = { ours: [], peer: [] };
  for (let run = 0; run < runs; run++) {
    for (const which of ['ours', 'peer'] as const) {
      cpu[which].push(side(which, mode, fixture, seconds) / seconds);
    }
  }
  return { ours: median(cpu.ours), peer: median(cpu.peer) };
}

export async function peerRows(): Promise<Row[]> {
  const versions = installPeer();
  const peer = `@livekit/agents-plugin-silero ${versions.silero} (onnxruntime-node ${versions.onnxruntime})`;
  const cases = [
    { label: '16 kHz mono, flat out', mode: 'flat', fixture: 'speech-16k-mono', seconds: 60 },
    { label: '48 kHz, flat out', mode: 'flat', fixture: 'speech-48k-stereo', seconds: 60 },
    { label: '48 kHz, one live stream', mode: 'live', fixture: 'speech-48k-stereo', seconds: 20 },
  ] as const;
  return cases.map(({ label, mode, fixture, seconds }) => {
    const runs = mode === 'flat' ? 5 : 3;
    const { ours, peer: theirs } = alternate(mode, fixture, seconds, runs);
    return {
      name: `vs peer: CPU per audio second, ${label}`,
      result: `ours ${fmt(ours)} ms, peer ${fmt(theirs)} ms: peer / ours ${fmt(theirs / ours, 2)}x`,
      detail:
        `${peer}; ${seconds} s of ${fixture} (mixed to mono) in 10 ms frames, ` +
        (mode === 'flat' ? 'pushed as fast as each stream takes them' : 'one every 10 ms') +
        `; a fresh process per run, ours and the peer's alternating, median of ${runs} each ` +
        '(process.cpuUsage of the measured part, after load and a 1 s warm-up)',
    };
  });
}
