import { defineConfig } from 'vitest/config';

/** Deadlines scale with TEST_TIME_SCALE (default 1) on a slow or busy machine. */
export function timeScale(): number {
  const scale = Number(process.env.TEST_TIME_SCALE ?? 1);
  return Number.isFinite(scale) && scale >= 1 ? scale : 1;
}

/**
 * `test/**\/*.test.ts` run in parallel; `*.e2e.test.ts` (tests that start
 * child processes, like the conformance kit's registration check) run one
 * file at a time with vitest.e2e.config.ts.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.e2e.test.ts', '**/node_modules/**'],
    // The JSON file is what the agents monorepo's `npm test` summary reads; harmless elsewhere.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    testTimeout: 20_000 * timeScale(),
    hookTimeout: 20_000 * timeScale(),
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});
