import { createHook } from 'node:async_hooks';
import { expect } from 'vitest';

/** Resources that keep a process alive: timers, sockets, pipes, child processes. */
const KINDS = new Set([
  'Timeout',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'PIPEWRAP',
  'PIPESERVERWRAP',
  'UDPWRAP',
  'PROCESSWRAP',
  'FSEVENTWRAP',
]);

/**
 * Watches the timers and handles created from now on until `stop()`. Counting
 * `process.getActiveResourcesInfo()` alone is not enough: a timer of the test
 * runner's that ends can hide one of ours that goes on, so each resource is
 * followed from its creation to its destruction, and the counts are checked too.
 */
export class ResourceWatch {
  readonly #baseline = activeResources();
  readonly #live = new Map<number, { kind: string; stack: string }>();
  readonly #hook = createHook({
    init: (id, kind) => {
      if (!KINDS.has(kind)) return;
      const frames = (new Error().stack ?? '').split('\n').slice(1);
      const stack = frames
        .filter((line) => !line.includes('(node:'))
        .slice(0, 6)
        .join('\n');
      this.#live.set(id, { kind, stack });
    },
    destroy: (id) => void this.#live.delete(id),
  });

  constructor() {
    this.#hook.enable();
  }

  /** Resources created since the watch began and still alive, with where they were made. */
  alive(): { kind: string; stack: string }[] {
    return [...this.#live.values()];
  }

  /** Kinds with more resources active now than when the watch began. */
  aboveBaseline(): Record<string, number> {
    const extra: Record<string, number> = {};
    for (const [kind, count] of activeResources()) {
      const more = count - (this.#baseline.get(kind) ?? 0);
      if (more > 0) extra[kind] = more;
    }
    return extra;
  }

  /**
   * Expects every resource made since the watch began to be gone, and the
   * active counts back to the baseline, within `deadlineMs` (the test runner's
   * own short-lived timers may take a moment). Polls on immediates, which a
   * polling timer would not be.
   */
  async expectNothingLeft(deadlineMs: number): Promise<void> {
    const until = performance.now() + deadlineMs;
    const clean = () => this.alive().length === 0 && Object.keys(this.aboveBaseline()).length === 0;
    while (!clean() && performance.now() < until) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.stop();
    expect(
      { alive: this.alive(), aboveBaseline: this.aboveBaseline() },
      'timers or handles still active after close()',
    ).toEqual({ alive: [], aboveBaseline: {} });
  }

  stop(): void {
    this.#hook.disable();
  }
}

function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  counts.delete('Immediate');
  return counts;
}
