import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaledMs } from '@agents/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, npmEnv, writeTypeCheck } from '../lib/app.js';
import { type Publishable, packAll, publishablePackages, repoRoot } from '../lib/packages.js';
import { run } from '../lib/run.js';

// What a user gets: every publishable package packed as it would be
// published, installed with plain npm into a fresh project outside the
// workspace, then loaded, type-checked and run. Only the npm registry is
// reached (onnxruntime-node's CUDA download is skipped, see lib/app.ts).

const packages = publishablePackages();
const plugins = packages.filter((pkg) => pkg.isPlugin);
const entryPoints = packages.flatMap((pkg) => pkg.entryPoints);
let work: string;
let app: string;
let cache: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'agents-pack-install-'));
  app = join(work, 'app');
  cache = join(work, 'npm-cache');
  const tarballs = await packAll(packages, join(work, 'tarballs'));
  const install = await createApp(app, [...tarballs.values()], cache);
  // Printed for the record: a cold npm cache, so every registry package is downloaded.
  process.stdout.write(
    `npm install of ${tarballs.size} tarballs: ${(install.ms / 1000).toFixed(1)} s\n`,
  );
}, scaledMs(420_000));

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function node(args: string[], cwd = app) {
  return run(process.execPath, args, { cwd, env: npmEnv(cache), timeoutMs: 60_000 });
}

function parseLastLine<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

interface Loaded {
  exports: Record<string, string[]>;
  sameCore: boolean;
}

describe('installed from the tarballs with npm', () => {
  it('installs every package, with no workspace range left in what npm installed', () => {
    for (const pkg of packages) {
      const file = join(app, 'node_modules', pkg.name, 'package.json');
      expect(existsSync(file), `${pkg.name} is not in node_modules`).toBe(true);
      expect(readFileSync(file, 'utf8')).not.toMatch(/workspace:/);
    }
  });

  it('require()s every entry point of every package from a CommonJS project, one @agents/core instance', async () => {
    const { stdout } = await node(['load.cjs', ...entryPoints]);
    const loaded = parseLastLine<Loaded>(stdout);
    for (const entry of entryPoints)
      expect(loaded.exports[entry]?.length ?? 0, entry).toBeGreaterThan(0);
    expect(loaded.sameCore).toBe(true);
  });

  it('import()s every entry point of every package from an ES module project, one @agents/core instance', async () => {
    const { stdout } = await node(['load.mjs', ...entryPoints], join(app, 'esm'));
    const loaded = parseLastLine<Loaded>(stdout);
    for (const entry of entryPoints)
      expect(loaded.exports[entry]?.length ?? 0, entry).toBeGreaterThan(0);
    expect(loaded.sameCore).toBe(true);
  });

  it('registers exactly one plugin, its own, per plugin package (require and import)', async () => {
    const registered = (load: (name: string) => string) =>
      `const { Plugin } = (${load('@agents/core')}).plugin;` +
      'console.log(JSON.stringify(Plugin.registeredPlugins.map((p) => p.package)));';
    const checks = plugins.flatMap((plugin: Publishable) => [
      node(['-e', `require('${plugin.name}');${registered((n) => `require('${n}')`)}`]),
      node([
        '--input-type=module',
        '-e',
        `await import('${plugin.name}');${registered((n) => `await import('${n}')`)}`,
      ]),
    ]);
    expect(plugins.length).toBeGreaterThan(0);
    const results = await Promise.all(checks);
    results.forEach((result, i) => {
      const plugin = plugins[Math.floor(i / 2)] as Publishable;
      expect(parseLastLine(result.stdout), plugin.name).toEqual([plugin.name]);
    });
  });

  // In a CommonJS and an ES module file at once (one tsc run each, as they take a while).
  for (const skipLibCheck of [false, true]) {
    it(`type-checks code importing every public API, skipLibCheck ${skipLibCheck}`, async () => {
      const config = writeTypeCheck(app, packages, {
        skipLibCheck,
        typeRoots: join(repoRoot, 'node_modules', '@types'),
      });
      const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await run(process.execPath, [tsc, '-p', config], {
        cwd: app,
        timeoutMs: 180_000,
        allowFailure: true,
      });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    });
  }

  it('`npx agents download-files` finds the plugins and verifies the bundled Silero model', async () => {
    const result = await run('npx', ['--no', 'agents', 'download-files'], {
      cwd: app,
      env: { ...npmEnv(cache), LOG_LEVEL: 'info' },
      timeoutMs: 60_000,
    });
    for (const plugin of plugins) expect(result.stdout).toContain(`"plugin":"${plugin.name}"`);
    expect(result.stdout).toMatch(/silero model present and verified/);
  });

  for (const [kind, agent, room] of [
    ['an ES module', 'agent.mjs', 'pack-esm'],
    ['a CommonJS', '../agent.cjs', 'pack-cjs'],
  ] as const) {
    it(`runs ${kind} agent against the LiveKit stand-in until its job runs, then stops it with Ctrl-C`, async () => {
      const result = await run(process.execPath, ['drive-agent.mjs', agent, room], {
        cwd: join(app, 'esm'),
        env: npmEnv(cache),
        timeoutMs: 240_000,
      });
      const report = parseLastLine<{
        ran: { jobId: string; vad: boolean } | null;
        exit: { code: number | null; signal: string | null };
        killed: boolean;
        error?: string;
        output: string;
      }>(result.stdout);
      expect(report.error, report.output).toBeUndefined();
      expect(report.ran?.vad, report.output).toBe(agent.endsWith('.mjs'));
      expect(report.killed, report.output).toBe(false);
      expect(report.exit, report.output).toEqual({ code: 0, signal: null });
    });
  }
});
