import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    testTimeout: 20_000,
    // Quiet logs unless asked for: LOG_LEVEL=debug pnpm test
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});
