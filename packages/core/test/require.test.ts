import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scaledMs } from './time.js';

const run = promisify(execFile);

// The child Node loads the built package both ways. On a starved machine its start-up alone can take
// tens of seconds, so the deadline only bounds a hang; the test waits a little longer than the child.
const CHILD_DEADLINE_MS = scaledMs(90_000);

describe('package entry', () => {
  it(
    'works with require() and import(), as one module instance',
    async () => {
      const script = fileURLToPath(new URL('./fixtures/require-check.cjs', import.meta.url));
      const { stdout, stderr } = await run(process.execPath, [script], {
        env: { ...process.env, LOG_LEVEL: 'silent' },
        timeout: CHILD_DEADLINE_MS,
      });
      const result = JSON.parse(stdout);
      expect(result.samePlugin).toBe(true);
      expect(result.sameLogger).toBe(true);
      expect(result.exports).toEqual(expect.arrayContaining(['Worker', 'cli', 'log', 'plugin']));
      expect(stderr).not.toMatch(/Error/);
    },
    CHILD_DEADLINE_MS + scaledMs(10_000),
  );
});
