import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the peer framework is installed: outside the workspace's dependencies, gitignored. */
export const PEER_DIR = fileURLToPath(new URL('../peer/dispatch/', import.meta.url));
const PEER_VERSION = '1';

// The peer's twin of agents/latency-agent.mjs: records when its entry started, ends the job.
const PEER_AGENT = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, defineAgent, WorkerOptions } from '@livekit/agents';

export default defineAgent({
  entry: async (ctx) => {
    writeFileSync(join(process.env.BENCH_MARKERS, ctx.job.room?.name ?? 'unknown'), String(Date.now()));
    ctx.shutdown('measured');
  },
});

// Three idle processes, as ours in \`start\`. The health port comes from the bench: the peer
// reads 0 as "the default", 8081, which another worker may hold.
cli.runApp(
  new WorkerOptions({
    agent: fileURLToPath(import.meta.url),
    numIdleProcesses: 3,
    port: Number(process.env.BENCH_HEALTH_PORT),
    // The machine's CPU use is not what this measures, and on a shared machine it keeps
    // both workers above the server's 0.7 cut-off; ours reports 0 too.
    loadFunc: async () => 0,
    // Importing the framework in a fresh process takes over 10 s (the default) at load 20.
    initializeProcessTimeout: 120_000,
  }),
);
`;

/**
 * Installs @livekit/agents 1.x from npm into bench/peer/dispatch (once), and writes the peer's
 * latency agent there. The folder ignores itself, so the install never reaches git, the
 * workspace's lockfile or CI. Returns the agent file's path.
 */
export function ensurePeerAgent(): string {
  mkdirSync(PEER_DIR, { recursive: true });
  writeFileSync(join(PEER_DIR, '.gitignore'), '*\n');
  if (!existsSync(join(PEER_DIR, 'node_modules/@livekit/agents/package.json'))) {
    writeFileSync(
      join(PEER_DIR, 'package.json'),
      `${JSON.stringify({ name: 'peer-dispatch', private: true, type: 'module' })}\n`,
    );
    const result = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', `@livekit/agents@${PEER_VERSION}`],
      {
        cwd: PEER_DIR,
        encoding: 'utf8',
        // onnxruntime-node's install script downloads binaries; nothing here needs them.
        env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      },
    );
    if (result.status !== 0) {
      throw new Error(`npm install of the peer in ${PEER_DIR} failed:\n${result.stderr}`);
    }
  }
  const agent = join(PEER_DIR, 'latency-agent.mjs');
  writeFileSync(agent, PEER_AGENT);
  return agent;
}

/**
 * Our latency agent against an older build of core (BENCH_DISPATCH_BASELINE: a folder with
 * that build's package.json and dist, and its node_modules): the agent is copied next to a
 * node_modules/@agents/core that points there, so `import '@agents/core'` loads the old build.
 */
export function ensureBaselineAgent(coreDir: string, agentFile: string): string {
  const dir = join(PEER_DIR, 'core-before');
  const link = join(dir, 'node_modules/@agents/core');
  mkdirSync(dirname(link), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(resolve(coreDir), link, 'dir');
  const agent = join(dir, 'latency-agent.mjs');
  copyFileSync(agentFile, agent);
  return agent;
}
