import { defineConfig } from 'vitest/config';

/**
 * What every package's tests share. A package's vitest.config.ts re-exports it,
 * or extends it with `mergeConfig`. Run from the package's directory.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Read by scripts/run.mjs for the summary line `npm test` ends with.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    testTimeout: 20_000,
    // Quiet logs unless asked for: LOG_LEVEL=debug pnpm test
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});
