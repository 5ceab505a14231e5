import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('package entry', () => {
  it('works with require() and import(), as one module instance', async () => {
    const script = fileURLToPath(new URL('./fixtures/require-check.cjs', import.meta.url));
    const { stdout, stderr } = await run(process.execPath, [script], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      timeout: 15_000,
    });
    const result = JSON.parse(stdout);
    expect(result.samePlugin).toBe(true);
    expect(result.sameLogger).toBe(true);
    expect(result.exports).toEqual(expect.arrayContaining(['Worker', 'cli', 'log', 'plugin']));
    expect(stderr).not.toMatch(/Error/);
  });
});
