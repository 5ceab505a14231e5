import { AssertionError } from 'node:assert';
import { execFile } from 'node:child_process';
import { scaledMs } from '../time.js';

/** Prints the packages registered after loading the plugin one way, as JSON. */
function script(packageName: string, how: 'import' | 'require'): string {
  const name = JSON.stringify(packageName);
  const load =
    how === 'import'
      ? `await import(${name}); const { plugin } = await import('@agents/core');`
      : `require(${name}); const { plugin } = require('@agents/core');`;
  // An async IIFE, so the same text runs as CommonJS (require) and as a module (import).
  return `(async () => { ${load} process.stdout.write(JSON.stringify(plugin.Plugin.registeredPlugins.map((p) => p.package))); })().catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });`;
}

function runNode(
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/**
 * Loads `packageName` in a fresh Node process (so this process's registry does
 * not matter), once with `import` and once with `require`, from `cwd` (where
 * the package resolves: its own directory, by self-reference, or a project
 * that depends on it). Each must register exactly one plugin: `packageName`.
 */
export async function assertRegistersOnePlugin(
  packageName: string,
  cwd = process.cwd(),
  timeoutMs = 30_000,
): Promise<void> {
  for (const how of ['import', 'require'] as const) {
    const args =
      how === 'import'
        ? ['--input-type=module', '-e', script(packageName, how)]
        : ['-e', script(packageName, how)];
    let stdout: string;
    try {
      ({ stdout } = await runNode(args, cwd, scaledMs(timeoutMs)));
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim() || String(error);
      throw new AssertionError({
        message: `${how} of ${packageName} (from ${cwd}) failed in a fresh process: ${detail.slice(0, 2000)}`,
      });
    }
    let registered: unknown;
    try {
      registered = JSON.parse(stdout);
    } catch {
      throw new AssertionError({
        message: `${how} of ${packageName}: unexpected output ${JSON.stringify(stdout.slice(0, 500))}`,
      });
    }
    if (!Array.isArray(registered) || registered.length !== 1 || registered[0] !== packageName) {
      throw new AssertionError({
        message:
          `${how} of ${packageName} must register exactly one plugin, ${packageName}, ` +
          `with plugin.Plugin.registerPlugin() at import; registered: ${JSON.stringify(registered)}`,
      });
    }
  }
}
