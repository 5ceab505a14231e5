import { defineConfig } from 'vitest/config';
import shared, { timeScale } from './vitest.shared.js';

/**
 * The process-heavy tests (`*.e2e.test.ts`): one file at a time, with room for
 * their child processes to start on a loaded machine.
 */
export default defineConfig({
  test: {
    ...shared.test,
    include: ['test/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: 'test-results-e2e.json' }]],
    testTimeout: 60_000 * timeScale(),
    hookTimeout: 60_000 * timeScale(),
  },
});
