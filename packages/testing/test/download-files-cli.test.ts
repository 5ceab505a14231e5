import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileServer } from '../src/index.js';

const coreDir = fileURLToPath(new URL('../../core', import.meta.url));
const agentsBin = join(coreDir, 'bin', 'agents.js');
const MODEL = randomBytes(64 * 1024);

let server: FileServer;
let project: string;
let cacheDir: string;

/** Writes a package into the fake project's node_modules. */
async function addPackage(name: string, manifest: object, code: string): Promise<void> {
  const dir = join(project, 'node_modules', name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', exports: './index.js', ...manifest }),
  );
  await writeFile(join(dir, 'index.js'), code);
}

/**
 * A user's project as npm would lay it out: @agents/core (this workspace's),
 * a first-party-style plugin that downloads a model, a third-party plugin
 * found by keyword, an ordinary dependency, and an agent file that must not
 * be imported by `agents download-files`.
 */
beforeAll(async () => {
  server = await FileServer.start({ files: { '/model.bin': MODEL } });
  project = await mkdtemp(join(tmpdir(), 'agents-project-'));
  await mkdir(join(project, 'node_modules', '@agents'), { recursive: true });
  await symlink(coreDir, join(project, 'node_modules', '@agents', 'core'));
  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'my-agent',
      type: 'module',
      dependencies: {
        '@agents/core': '*',
        '@agents/plugin-fake': '1.0.0',
        'community-plugin': '1.0.0',
        'left-pad': '1.0.0',
      },
    }),
  );
  await addPackage(
    '@agents/plugin-fake',
    {},
    `import { plugin } from '@agents/core';
class FakePlugin extends plugin.Plugin {
  async downloadFiles({ signal } = {}) {
    await plugin.downloadFile({
      url: process.env.FAKE_MODEL_URL,
      sha256: process.env.FAKE_MODEL_SHA256,
      dest: 'fake/model.bin',
      signal,
      connectOptions: { maxRetry: 1, retryIntervalMs: 10 },
    });
  }
}
plugin.Plugin.registerPlugin(new FakePlugin({ title: 'Fake', version: '1.0.0', package: '@agents/plugin-fake' }));
`,
  );
  await addPackage(
    'community-plugin',
    { keywords: ['voice', 'agents-plugin'] },
    `import { writeFileSync } from 'node:fs';
import { plugin } from '@agents/core';
class CommunityPlugin extends plugin.Plugin {
  async downloadFiles() { writeFileSync(process.env.COMMUNITY_MARKER, 'ran'); }
}
plugin.Plugin.registerPlugin(new CommunityPlugin({ title: 'Community', version: '1.0.0', package: 'community-plugin' }));
`,
  );
  await addPackage('left-pad', {}, `throw new Error('left-pad must not be imported');\n`);
  await addPackage('plain-lib', {}, 'export const answer = 42;\n');
  await writeFile(
    join(project, 'agent.js'),
    `import { writeFileSync } from 'node:fs';
writeFileSync(process.env.AGENT_MARKER, 'user code was imported');
`,
  );
  await writeFile(
    join(project, 'app.js'),
    `import '@agents/plugin-fake';
import { cli } from '@agents/core';
cli.runApp();
`,
  );
});

afterAll(async () => {
  await server.close();
  await rm(project, { recursive: true, force: true });
});

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'agents-cache-'));
  server.clearFaults();
  server.requests.length = 0;
  return () => rm(cacheDir, { recursive: true, force: true });
});

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd = project): Promise<RunResult> {
  const env = {
    ...process.env,
    AGENTS_CACHE_DIR: cacheDir,
    FAKE_MODEL_URL: server.urlOf('/model.bin'),
    FAKE_MODEL_SHA256: server.sha256Of('/model.bin'),
    COMMUNITY_MARKER: join(cacheDir, 'community-ran'),
    AGENT_MARKER: join(cacheDir, 'agent-imported'),
    LOG_LEVEL: 'info',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const modelPath = () => join(cacheDir, 'fake', 'model.bin');

describe('agents download-files', () => {
  it('downloads for every plugin among the dependencies, without importing user code', async () => {
    const result = await run([agentsBin, 'download-files']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(Buffer.compare(await readFile(modelPath()), MODEL)).toBe(0);
    expect(await readFile(join(cacheDir, 'community-ran'), 'utf8')).toBe('ran');
    expect(existsSync(join(cacheDir, 'agent-imported'))).toBe(false);
    expect(result.stdout).toContain('finished downloading files for Fake');
    expect(result.stdout).toContain('finished downloading files for Community');
  });

  it('makes no request when the files are already there', async () => {
    expect((await run([agentsBin, 'download-files'])).code).toBe(0);
    expect((await run([agentsBin, 'download-files'])).code).toBe(0);
    expect(server.requestCount('/model.bin')).toBe(1);
  });

  it('prepares only the packages named on the command line', async () => {
    const result = await run([agentsBin, 'download-files', 'community-plugin']);
    expect(result.code).toBe(0);
    expect(existsSync(join(cacheDir, 'community-ran'))).toBe(true);
    expect(existsSync(modelPath())).toBe(false);
    expect(server.requests).toEqual([]);
  });

  it('finds the project from a subdirectory', async () => {
    const sub = join(project, 'src', 'deep');
    await mkdir(sub, { recursive: true });
    const result = await run([agentsBin, 'download-files', '@agents/plugin-fake'], sub);
    expect(result.code).toBe(0);
    expect(existsSync(modelPath())).toBe(true);
  });

  it('exits non-zero with a one-line reason when a download fails', async () => {
    server.injectFault('/model.bin', { kind: 'status', status: 404 });
    const result = await run([agentsBin, 'download-files']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^agents: @agents\/plugin-fake: download of .* failed: HTTP 404/);
    expect(existsSync(modelPath())).toBe(false);
  });

  it('says so when a named package is not an agents plugin or not installed', async () => {
    const notPlugin = await run([agentsBin, 'download-files', 'plain-lib']);
    expect(notPlugin.code).toBe(1);
    expect(notPlugin.stderr).toMatch(/^agents: plain-lib registered no plugin when imported/);

    const missing = await run([agentsBin, 'download-files', '@agents/plugin-nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      "agents: plugin package @agents/plugin-nope is not installed (run your package manager's install first)",
    );
  });

  it('fails clearly outside a project', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'agents-empty-'));
    try {
      const result = await run([agentsBin, 'download-files'], empty);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^agents: no (package\.json found|plugin packages)/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('rejects an unknown log level with the list of valid ones', async () => {
    const result = await run([agentsBin, 'download-files', '--log-level', 'loud']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown log level "loud"; use one of/);
  });
});

describe('download-files of an agent file (cli.runApp)', () => {
  it('downloads for the plugins the agent file imported', async () => {
    const result = await run([join(project, 'app.js'), 'download-files']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(Buffer.compare(await readFile(modelPath()), MODEL)).toBe(0);
    expect(existsSync(join(cacheDir, 'community-ran'))).toBe(false);
  });

  it('exits non-zero with a one-line reason on failure', async () => {
    server.injectFault('/model.bin', { kind: 'cut', afterBytes: 100 });
    const result = await run([join(project, 'app.js'), 'download-files']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^app\.js: @agents\/plugin-fake: download of .* (ended|failed)/);
    expect(server.requestCount('/model.bin')).toBe(2);
  });

  it('rejects an unknown command with usage help', async () => {
    const result = await run([join(project, 'app.js'), 'launch']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown command 'launch'/);
  });
});
