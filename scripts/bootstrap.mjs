// What the root scripts that run on a fresh machine (`npm test`, `npm run demo`)
// share: check Node, make the pinned pnpm available (installing it under
// .tools/ if it is not on PATH), install the workspace. Node built-ins only:
// it runs before any dependency is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = rootPackage.packageManager.replace(/^pnpm@/, '');

/** A script's failure: `<script>: <message>` on stderr, exit code 1. */
export function failer(script) {
  return (message) => {
    console.error(`${script}: ${message}`);
    process.exit(1);
  };
}

/** Runs a command in the repository root (by default), output shown; returns its exit status. */
export function runner(fail) {
  return (cmd, args, options = {}) => {
    const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
    if (result.error) fail(`could not run ${cmd}: ${result.error.message}`);
    return result.status ?? 1;
  };
}

export function checkNode(fail) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    fail(`Node >= 20.19 is required (this is ${process.versions.node}); install a newer Node.`);
  }
}

function pnpmOnPath() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false });
  return probe.status === 0 && probe.stdout.trim() === pnpmVersion;
}

/**
 * Returns the environment in which `pnpm` is the pinned version: `env` if pnpm
 * is on PATH, else `env` with .tools/ on PATH (turbo needs pnpm on PATH too,
 * to read the workspace).
 */
export function ensurePnpm(env, fail, stdio = 'inherit') {
  if (pnpmOnPath()) return env;
  const toolDir = join(root, '.tools', `pnpm-${pnpmVersion}`);
  const binDir = join(toolDir, 'node_modules', '.bin');
  if (!existsSync(join(binDir, 'pnpm'))) {
    const say = stdio === 'inherit' ? console.log : console.error;
    say(`Installing pnpm ${pnpmVersion} into .tools/ (pnpm is not on PATH)`);
    const status = runner(fail)(
      'npm',
      [
        'install',
        '--prefix',
        toolDir,
        '--no-audit',
        '--no-fund',
        '--no-save',
        '--loglevel=error',
        `pnpm@${pnpmVersion}`,
      ],
      { stdio },
    );
    if (status !== 0 || !existsSync(join(binDir, 'pnpm'))) {
      fail(`npm could not install pnpm@${pnpmVersion}`);
    }
  }
  return { ...env, PATH: `${binDir}${delimiter}${env.PATH ?? ''}` };
}

/**
 * Checks Node, makes pnpm available and installs the workspace. Returns the
 * environment to run `pnpm` and turbo in. `stdio` is where the installs'
 * output goes (e.g. `['inherit', 2, 2]`: all on stderr, keeping stdout for a
 * program's own output).
 */
export function bootstrap(fail, stdio = 'inherit') {
  checkNode(fail);
  const env = ensurePnpm(
    { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
    fail,
    stdio,
  );
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  const status = runner(fail)('pnpm', ['install', '--prefer-offline', ...frozen], { env, stdio });
  if (status !== 0) fail('pnpm install failed');
  return env;
}
