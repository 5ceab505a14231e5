import { defineConfig } from 'vitest/config';
import unit, { timeScale } from './vitest.config.js';

export default defineConfig({
  test: {
    ...unit.test,
    include: ['test/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: 'test-results-e2e.json' }]],
    testTimeout: 60_000 * timeScale(),
    hookTimeout: 60_000 * timeScale(),
  },
});
