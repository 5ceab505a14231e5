import { Worker } from 'node:worker_threads';
import type { WatchdogData } from './parent-watchdog-thread.js';

/** How often the main thread proves its event loop turns. */
const BEAT_INTERVAL_MS = 250;
/** How often the watchdog thread looks at the parent. */
const POLL_INTERVAL_MS = 500;
/** A main thread that has not beaten for this long cannot end the job by itself. */
const STALL_MS = 2_000;

/**
 * The guarantee that no job process outlives its worker, even with its event
 * loop blocked. The usual way out, the IPC channel's 'disconnect', needs the
 * main event loop; a job stuck in a CPU loop or a long native call never sees
 * it, and a SIGKILLed worker cannot kill it. A worker thread has a loop of
 * its own: it polls `process.ppid` (a changed parent means the worker is
 * gone; the kernel gave us to init or a subreaper) and then SIGKILLs this
 * process's group, the job and whatever it started.
 *
 * A healthy job still gets its graceful end: while the main thread keeps
 * beating, the watchdog waits `graceMs` (set from the shutdown timeout) for
 * the 'disconnect' path to finish; it kills at once only when the main
 * thread has stalled.
 *
 * Cost: about 9 MB of resident memory per job process (a second V8 isolate;
 * measured on Node 20 with an idle pool, /proc/<pid>/status VmRSS); the alternatives (a shell sidecar per job
 * polling with `sleep`, a native prctl(PR_SET_PDEATHSIG)) either fork every
 * second or need a native addon.
 */
export class ParentWatchdog {
  readonly #state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  readonly #beat: ReturnType<typeof setInterval>;

  constructor(graceMs: number, onError: (error: Error) => void) {
    this.setGraceMs(graceMs);
    const data: WatchdogData = {
      state: this.#state,
      parentPid: process.ppid,
      pollMs: POLL_INTERVAL_MS,
      stallMs: STALL_MS,
    };
    const thread = new Worker(new URL('./parent-watchdog-thread.js', import.meta.url), {
      workerData: data,
      // Not the worker's loader flags (tsx's): the thread imports nothing of the agent's.
      execArgv: [],
      env: {},
      stdout: false,
      stderr: false,
      // A small heap for a small loop: about 1 MB less resident memory than the defaults.
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1, stackSizeMb: 1 },
    });
    thread.on('error', onError);
    // The watchdog must never be what keeps a finished job process alive.
    thread.unref();
    this.#beat = setInterval(() => Atomics.add(this.#state, 0, 1), BEAT_INTERVAL_MS);
    this.#beat.unref();
  }

  /** How long a still-responsive job may take to end after its worker is gone. */
  setGraceMs(ms: number): void {
    Atomics.store(this.#state, 1, Math.min(Math.round(ms), 2 ** 31 - 1));
  }
}
