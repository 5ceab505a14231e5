#!/usr/bin/env node
// One entry point for a fresh machine that has only Node and npm: `npm test`.
// It makes sure the pinned pnpm is available (installing it under .tools/ if
// not), installs the workspace (scripts/bootstrap.mjs), then runs the turbo
// pipeline. It uses nothing but Node built-ins because it runs before any
// dependency is installed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrap, failer, root, runner } from './bootstrap.mjs';

const fail = failer('run.mjs');
const run = runner(fail);

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

function printTestSummary() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let files = 0;
  for (const dir of ['packages', 'plugins', 'examples', 'e2e']) {
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
  const env = bootstrap(fail);
  // Every stage runs even when an earlier one failed, so one run reports every failure.
  let failed = false;
  for (const stage of command.stages) {
    const status = run('pnpm', ['exec', 'turbo', 'run', ...stage, '--continue'], { env });
    failed ||= status !== 0;
  }
  command.after?.();
  process.exit(failed ? 1 : 0);
}

main();
