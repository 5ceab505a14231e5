/**
 * Shared by the worker end-to-end tests: marker files that job entries write
 * (see fixtures/agents/scripted-agent.mjs), watched rather than polled, and
 * process liveness checks.
 */
import { existsSync, type FSWatcher, readFileSync, watch } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaledMs } from '../src/index.js';

export interface Marker {
  room: string;
  pid: number;
  prewarmed: boolean;
}

/** The folder job entries write their markers into, with waits driven by file events. */
export class Markers {
  readonly dir: string;
  readonly #watcher: FSWatcher;
  readonly #waiters = new Set<() => void>();
  /** Every job process pid seen, to prove none outlives the tests. */
  readonly pids = new Set<number>();

  private constructor(dir: string) {
    this.dir = dir;
    this.#watcher = watch(dir, () => {
      for (const wake of this.#waiters) wake();
    });
  }

  static async create(): Promise<Markers> {
    return new Markers(await mkdtemp(join(tmpdir(), 'agents-markers-')));
  }

  has(name: string): boolean {
    return existsSync(join(this.dir, name));
  }

  /** The marker of job `jobId`'s entry, once written. */
  async entry(jobId: string, timeoutMs = scaledMs(30_000)): Promise<Marker> {
    await this.until(() => this.has(jobId), timeoutMs, `the entry of job ${jobId}`);
    const marker = JSON.parse(readFileSync(join(this.dir, jobId), 'utf8')) as Marker;
    this.pids.add(marker.pid);
    return marker;
  }

  /** Resolves once `check()` holds, re-checked on every change in the folder. */
  until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (!check()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }

  async close(): Promise<void> {
    this.#watcher.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits for processes we did not start (so no 'exit' event reaches us) to be
 * gone: checked every 50 ms, with a deadline.
 */
export async function gone(pids: Iterable<number>, timeoutMs = scaledMs(15_000)): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const left = () => [...pids].filter(alive);
  while (left().length > 0) {
    if (performance.now() > deadline) {
      throw new Error(`processes still alive after ${timeoutMs} ms: ${left().join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
