/**
 * The watchdog thread of a job process (see parent-watchdog.ts). Plain and
 * dependency-free on purpose: it runs in its own V8 isolate, and everything
 * it imports costs memory in every job process.
 */
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';

export interface WatchdogData {
  /** [0]: the main thread's beat counter; [1]: grace in ms after the parent is gone. */
  state: Int32Array;
  parentPid: number;
  pollMs: number;
  stallMs: number;
}

const { state, parentPid, pollMs, stallMs } = workerData as WatchdogData;
let lastBeat = Atomics.load(state, 0);
let lastBeatAt = performance.now();
let parentGoneAt: number | undefined;

setInterval(() => {
  const now = performance.now();
  const beat = Atomics.load(state, 0);
  if (beat !== lastBeat) {
    lastBeat = beat;
    lastBeatAt = now;
  }
  if (parentGoneAt === undefined) {
    if (process.ppid === parentPid) return;
    parentGoneAt = now;
  }
  const stalled = now - lastBeatAt > stallMs;
  if (stalled || now - parentGoneAt > Atomics.load(state, 1)) killOwnGroup(stalled);
}, pollMs);

function killOwnGroup(stalled: boolean): void {
  const why = stalled ? 'its event loop is blocked' : 'it did not end within its shutdown grace';
  try {
    writeSync(
      2,
      `job process ${process.pid}: the worker is gone and ${why}; killing its process group\n`,
    );
  } catch {
    // Nobody may be reading stderr any more.
  }
  try {
    // The pool forks each job process as the leader of its own group.
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.kill(process.pid, 'SIGKILL');
  }
}
