// Install size and cold import time of @agents/core with every plugin, from
// the packed tarballs, next to @livekit/agents with its matching plugins from
// npm, installed the same way in the same run. Prints a markdown table for
// BENCHMARKS.md. Needs the packages built (`pnpm build`) and the npm registry.
//
//   pnpm -C bench install-size [runs]     (default 9 import runs per figure)
//   pnpm -C bench install-size [runs] --keep         keeps the two projects, prints where
//   pnpm -C bench install-size [runs] --reuse DIR    measures a kept DIR again, no install
//
// Each side gets a fresh project (`"type": "module"`) and a cold npm cache of
// its own, so both download everything. onnxruntime-node's postinstall is
// skipped on both (it downloads CUDA files from api.nuget.org; see
// plugins/silero/README.md). Import runs alternate between the two sides, so
// a change in the machine's load hits both alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median } from './measure.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 9);
const reuse = args.includes('--reuse') ? args[args.indexOf('--reuse') + 1] : undefined;
const keep = args.includes('--keep') || reuse !== undefined;
const ours = ['core', 'plugin-openai', 'plugin-deepgram', 'plugin-elevenlabs', 'plugin-silero'];
const peer = ['', '-plugin-openai', '-plugin-deepgram', '-plugin-elevenlabs', '-plugin-silero'].map(
  (suffix) => `@livekit/agents${suffix}`,
);
const work = reuse ?? mkdtempSync(join(tmpdir(), 'agents-install-size-'));

interface Side {
  label: string;
  dir: string;
  packages: string[];
  installMs: number;
}

function pack(): string[] {
  const destination = join(work, 'tarballs');
  return ours.map((name) => {
    const dir = join(repo, name === 'core' ? 'packages/core' : `plugins/${name.slice(7)}`);
    const out = execFileSync('pnpm', ['pack', '--pack-destination', destination], {
      cwd: dir,
      encoding: 'utf8',
    });
    return out.trim().split('\n').at(-1) ?? '';
  });
}

function install(label: string, specs: string[], packages: string[]): Side {
  const dir = join(work, label);
  if (reuse) return { label, dir, packages, installMs: Number.NaN };
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    '{ "name": "bench-app", "private": true, "type": "module" }\n',
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm|pnpm)_/i.test(key)) env[key] = value;
  }
  const started = performance.now();
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', ...specs], {
    cwd: dir,
    env: {
      ...env,
      ONNXRUNTIME_NODE_INSTALL: 'skip',
      npm_config_cache: join(work, `cache-${label}`),
    },
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (result.status !== 0) throw new Error(`npm install in ${dir} failed:\n${result.stderr}`);
  return { label, dir, packages, installMs: performance.now() - started };
}

function kib(path: string): number {
  return Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]);
}

function topLevelDirs(modules: string): string[] {
  return readdirSync(modules).flatMap((name) =>
    name.startsWith('@')
      ? readdirSync(join(modules, name)).map((n) => `${name}/${n}`)
      : name.startsWith('.')
        ? []
        : [name],
  );
}

function version(side: Side, name: string): string {
  return JSON.parse(readFileSync(join(side.dir, 'node_modules', name, 'package.json'), 'utf8'))
    .version;
}

interface Sample {
  wallMs: number;
  importMs: number;
  rssMB: number;
}

/** One fresh node process importing `names`; wall time measured from outside. */
function sample(side: Side, names: string[]): Sample {
  const body = names.map((name) => `await import('${name}');`).join(' ');
  const script = `const t = performance.now(); ${body} console.log(JSON.stringify({ importMs: performance.now() - t, rssMB: process.memoryUsage().rss / 2 ** 20 }));`;
  const started = performance.now();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: side.dir,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return {
    wallMs: performance.now() - started,
    ...JSON.parse(out.trim().split('\n').at(-1) ?? ''),
  };
}

function compare(a: Side, b: Side, which: 'first' | 'all'): string[] {
  const pick = (side: Side) => (which === 'first' ? side.packages.slice(0, 1) : side.packages);
  const samples = { a: [] as Sample[], b: [] as Sample[] };
  sample(a, pick(a));
  sample(b, pick(b));
  for (let i = 0; i < runs; i++) {
    samples.a.push(sample(a, pick(a)));
    samples.b.push(sample(b, pick(b)));
  }
  const m = (list: Sample[], key: keyof Sample) => median(list.map((s) => s[key]));
  const what = which === 'first' ? 'the core package alone' : 'core + 4 plugins';
  return (['wallMs', 'importMs', 'rssMB'] as const).map((key) => {
    const [x, y] = [m(samples.a, key), m(samples.b, key)];
    const unit = key === 'rssMB' ? 'MB' : 'ms';
    const name = {
      wallMs: 'process wall time',
      importMs: 'import() time',
      rssMB: 'RSS after import',
    }[key];
    return `| import ${what}: ${name} | ${fmt(x)} ${unit} | ${fmt(y)} ${unit} | ${fmt(y / x, 2)}x |`;
  });
}

try {
  const tarballs = reuse ? [] : pack();
  const a = install(
    'ours',
    tarballs,
    ours.map((name) => `@agents/${name}`),
  );
  const b = install('peer', peer, peer);
  const size = (side: Side) => kib(join(side.dir, 'node_modules'));
  const onnx = (side: Side) =>
    ['onnxruntime-node', 'onnxruntime-common'].reduce(
      (sum, name) => sum + kib(join(side.dir, 'node_modules', name)),
      0,
    );
  const mib = (k: number) => `${fmt(k / 1024, 1)} MiB`;
  const rows = [
    `| npm install, cold cache | ${fmt(a.installMs / 1000, 1)} s | ${fmt(b.installMs / 1000, 1)} s | ${fmt(b.installMs / a.installMs, 2)}x |`,
    `| top-level packages in node_modules | ${topLevelDirs(join(a.dir, 'node_modules')).length} | ${topLevelDirs(join(b.dir, 'node_modules')).length} | |`,
    `| du -sk node_modules | ${mib(size(a))} | ${mib(size(b))} | ${fmt(size(b) / size(a), 2)}x |`,
    `| the same without onnxruntime-node/-common | ${mib(size(a) - onnx(a))} | ${mib(size(b) - onnx(b))} | ${fmt((size(b) - onnx(b)) / (size(a) - onnx(a)), 2)}x |`,
    ...compare(a, b, 'first'),
    ...compare(a, b, 'all'),
  ];
  console.log(
    `Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${fmt(totalmem() / 2 ** 30, 0)} GiB, npm ${execFileSync('npm', ['-v'], { encoding: 'utf8' }).trim()}`,
  );
  console.log(
    `ours: ${a.packages.map((n) => `${n}@${version(a, n)}`).join(' ')} (onnxruntime-node ${version(a, 'onnxruntime-node')})`,
  );
  console.log(
    `peer: ${b.packages.map((n) => `${n}@${version(b, n)}`).join(' ')} (onnxruntime-node ${version(b, 'onnxruntime-node')})`,
  );
  console.log(
    `import figures: medians of ${runs} fresh node processes each, alternating, after one warm-up each\n`,
  );
  console.log('| measurement | @agents/* | @livekit/agents* | peer / ours |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  if (keep) console.log(`\nprojects kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
