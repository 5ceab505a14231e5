import { defineConfig } from 'vitest/config';

/**
 * What every package's tests share. A package's vitest.config.ts re-exports it,
 * or extends it with `mergeConfig`. Run from the package's directory.
 *
 * Two kinds of test files:
 * - `test/**\/*.test.ts`: unit and integration tests, run in parallel (`pnpm test`).
 * - `test/**\/*.e2e.test.ts`: tests that fork many processes (workers, job
 *   processes, CLIs). They run after every package's unit tests, one file at a
 *   time within a package and two packages at most at once, so few of them
 *   compete for the machine's cores (`pnpm test:e2e`, see vitest.e2e.ts).
 *
 * Deadlines in tests are multiplied by TEST_TIME_SCALE (default 1): a slow or
 * busy machine raises it instead of each test guessing. Tests never assert on
 * wall-clock time.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.e2e.test.ts', '**/node_modules/**'],
    // Read by scripts/run.mjs for the summary line `npm test` ends with.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    testTimeout: 20_000 * timeScale(),
    hookTimeout: 20_000 * timeScale(),
    // Quiet logs unless asked for: LOG_LEVEL=debug pnpm test
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});

/** TEST_TIME_SCALE as a number >= 1. */
export function timeScale(): number {
  const scale = Number(process.env.TEST_TIME_SCALE ?? 1);
  return Number.isFinite(scale) && scale >= 1 ? scale : 1;
}
