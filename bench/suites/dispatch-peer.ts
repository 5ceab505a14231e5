import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

// Three idle processes, as ours in \`start\`; any free health port.
cli.runApp(new WorkerOptions({ agent: fileURLToPath(import.meta.url), numIdleProcesses: 3, port: 0 }));
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
