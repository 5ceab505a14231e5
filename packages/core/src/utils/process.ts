import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { withDeadline } from './deadline.js';

/** How a child process ended: its exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** After SIGKILL the kernel reaps at once; this only guards against a wedged 'exit' event. */
const REAP_TIMEOUT_MS = 2000;

/** The exit code a shell reports for a process ended by `signal`: 128 + its number (130 for SIGINT). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** The status as one exit code, the way a shell would report it. */
export function exitCodeOf(status: ExitStatus): number {
  if (status.code !== null) return status.code;
  return status.signal ? signalExitCode(status.signal) : 1;
}

/** The status in words, for a log line: "code 1" or "signal SIGKILL". */
export function describeExit(status: ExitStatus): string {
  return status.code !== null ? `code ${status.code}` : `signal ${status.signal ?? 'unknown'}`;
}

/** Whether the child has already exited ('exit' may not have been emitted yet). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves with the child's exit status, at once if it has already exited. */
export function waitForExit(child: ChildProcess): Promise<ExitStatus> {
  if (hasExited(child)) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Asks a child process to stop with `signal`, waits up to `timeoutMs` for it
 * to exit, then SIGKILLs it and waits for the kernel to reap it. Resolves
 * with how it ended. Rejects only if even SIGKILL did not end it within a
 * couple of seconds (the process is then stuck in the kernel; nothing more
 * can be done from here).
 */
export async function stopChildProcess(
  child: ChildProcess,
  { signal = 'SIGTERM', timeoutMs }: { signal?: NodeJS.Signals; timeoutMs: number },
): Promise<ExitStatus> {
  const exited = waitForExit(child);
  if (hasExited(child)) return exited;
  child.kill(signal);
  try {
    return await withDeadline(
      exited,
      timeoutMs,
      `did not exit within ${timeoutMs} ms of ${signal}`,
    );
  } catch {
    child.kill('SIGKILL');
    return await withDeadline(exited, REAP_TIMEOUT_MS, `pid ${child.pid} survived SIGKILL`);
  }
}
