import { spawn } from 'node:child_process';
import { scaledMs } from '@agents/testing';

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Unscaled; multiplied by TEST_TIME_SCALE. */
  timeoutMs: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command to completion with a deadline. The command gets a process
 * group of its own, so that on the deadline npm, its lifecycle scripts and
 * any worker it started are killed together, not only the direct child.
 */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const shown = `${command} ${args.join(' ')} (in ${options.cwd})`;
  const timeoutMs = scaledMs(options.timeoutMs);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${shown}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr, ms: performance.now() - started };
      if (timedOut) {
        reject(new Error(`${shown} did not finish within ${timeoutMs} ms${tail(result)}`));
      } else if (code !== 0 && !options.allowFailure) {
        reject(new Error(`${shown} failed (exit ${code ?? signal})${tail(result)}`));
      } else {
        resolve(result);
      }
    });
  });
}

export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function tail(result: RunResult): string {
  const last = (s: string) => s.trimEnd().split('\n').slice(-25).join('\n    ');
  return `\n  stdout:\n    ${last(result.stdout)}\n  stderr:\n    ${last(result.stderr)}`;
}
