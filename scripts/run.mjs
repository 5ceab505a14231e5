#!/usr/bin/env node
// One entry point for a fresh machine that has only Node and npm: `npm test`.
// It makes sure the pinned pnpm is available (installing it under .tools/ if
// not), installs the workspace, then runs the turbo pipeline. It uses nothing
// but Node built-ins because it runs before any dependency is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = rootPackage.packageManager.replace(/^pnpm@/, '');

const commands = {
  test: {
    about: 'build, typecheck, lint and test every package',
    // Unit tests in parallel, then the process-heavy e2e files: one file at a
    // time within a package, and at most two packages at once, so at most two
    // such files compete for the cores.
    stages: [
      ['build', 'typecheck', 'lint', '//#lint:root', 'test'],
      ['test:e2e', '--concurrency=2'],
    ],
    after: printTestSummary,
  },
};

function fail(message) {
  console.error(`run.mjs: ${message}`);
  process.exit(1);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    fail(`Node >= 20.19 is required (this is ${process.versions.node}); install a newer Node.`);
  }
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) fail(`could not run ${cmd}: ${result.error.message}`);
  return result.status ?? 1;
}

function pnpmOnPath() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false });
  return probe.status === 0 && probe.stdout.trim() === pnpmVersion;
}

/**
 * Returns the environment in which `pnpm` is the pinned version: the current
 * one if pnpm is on PATH, else one with .tools/ on PATH (turbo needs pnpm on
 * PATH too, to read the workspace).
 */
function ensurePnpm(env) {
  if (pnpmOnPath()) return env;
  const toolDir = join(root, '.tools', `pnpm-${pnpmVersion}`);
  const binDir = join(toolDir, 'node_modules', '.bin');
  if (!existsSync(join(binDir, 'pnpm'))) {
    console.log(`Installing pnpm ${pnpmVersion} into .tools/ (pnpm is not on PATH)`);
    const status = run('npm', [
      'install',
      '--prefix',
      toolDir,
      '--no-audit',
      '--no-fund',
      '--no-save',
      '--loglevel=error',
      `pnpm@${pnpmVersion}`,
    ]);
    if (status !== 0 || !existsSync(join(binDir, 'pnpm'))) {
      fail(`npm could not install pnpm@${pnpmVersion}`);
    }
  }
  return { ...env, PATH: `${binDir}${delimiter}${env.PATH ?? ''}` };
}

function printTestSummary() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let files = 0;
  for (const dir of ['packages', 'plugins', 'examples']) {
    if (!existsSync(join(root, dir))) continue;
    for (const name of readdirSync(join(root, dir))) {
      for (const file of ['test-results.json', 'test-results-e2e.json']) {
        const resultsFile = join(root, dir, name, file);
        if (!existsSync(resultsFile)) continue;
        const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
        passed += results.numPassedTests;
        failed += results.numFailedTests;
        skipped += results.numPendingTests + results.numTodoTests;
        files += 1;
      }
    }
  }
  console.log(`\nAll packages (${files} test suites):`);
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

function main() {
  const name = process.argv[2];
  const command = commands[name];
  if (!command) {
    fail(`unknown command "${name}"; known: ${Object.keys(commands).join(', ')}`);
  }
  checkNode();
  const env = ensurePnpm({ ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' });
  const frozen = process.env.CI ? ['--frozen-lockfile'] : [];
  let status = run('pnpm', ['install', '--prefer-offline', ...frozen], { env });
  if (status !== 0) fail('pnpm install failed');
  // Every stage runs even when an earlier one failed, so one run reports every failure.
  let failed = false;
  for (const stage of command.stages) {
    status = run('pnpm', ['exec', 'turbo', 'run', ...stage, '--continue'], { env });
    failed ||= status !== 0;
  }
  command.after?.();
  process.exit(failed ? 1 : 0);
}

main();
