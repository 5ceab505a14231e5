import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('closing streams', () => {
  it('leaves nothing running: the process exits on its own', async () => {
    const script = fileURLToPath(new URL('./fixtures/clean-exit.mjs', import.meta.url));
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          [script],
          { timeout: 15_000 },
          (_e, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
        );
      },
    );
    expect(result.stderr).toBe('');
    // Scripted steps wait 600 s; a process still alive at the 15 s deadline is
    // killed, and then the exit code is null, not 0.
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ closed: [true, true, true, true, true] });
  });
});
