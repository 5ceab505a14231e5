import { AssertionError } from 'node:assert';
import { createHook } from 'node:async_hooks';
import { scaledMs } from '../time.js';

/** Something whose listeners can be counted: core's TypedEventEmitter or Node's EventEmitter. */
export interface ListenerSource {
  listenerCount(event: never): number;
  eventNames?(): (string | symbol)[];
}

/** Events every model emits (core's ModelEvents); Node emitters list their own. */
const MODEL_EVENTS = ['metrics_collected', 'error'];

type Counts = Record<string, number>;

/** What keeps the process alive now, by kind. Immediates are queued callbacks, not holders. */
export function activeResources(): Counts {
  const counts: Counts = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'Immediate') continue;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

function listenerCounts(sources: Record<string, ListenerSource>): Counts {
  const counts: Counts = {};
  for (const [name, source] of Object.entries(sources)) {
    const events = source.eventNames?.() ?? MODEL_EVENTS;
    for (const event of events) {
      counts[`${name} '${String(event)}' listeners`] = source.listenerCount(event as never);
    }
  }
  return counts;
}

/**
 * A snapshot of active resources (sockets, timers, child processes) and of the
 * listeners on the given emitters. `assertNothingLeft()` waits, with a
 * deadline, for queued callbacks to release what they hold, then throws an
 * AssertionError naming every kind that outnumbers the snapshot.
 */
/** Handles and timers that keep a process alive. */
const HOLDING = new Set([
  'Timeout',
  'TCPWRAP',
  'TCPSERVERWRAP',
  'PIPEWRAP',
  'UDPWRAP',
  'PROCESSWRAP',
  'FSEVENTWRAP',
]);

export class LeakCheck {
  /**
   * Counts alone miss a leak when one of the test runner's timers ends
   * meanwhile, so each resource made since the snapshot is followed too.
   */
  readonly #made = new Map<number, string>();
  readonly #hook = createHook({
    init: (id, kind) =>
      void (!this.#stopFollowingNew && HOLDING.has(kind) && this.#made.set(id, kind)),
    destroy: (id) => void this.#made.delete(id),
  });
  #stopFollowingNew = false;
  readonly #resources: Counts;
  readonly #sources: Record<string, ListenerSource>;
  readonly #listeners: Counts;

  constructor(sources: Record<string, ListenerSource> = {}) {
    this.#sources = sources;
    this.#resources = activeResources();
    this.#listeners = listenerCounts(sources);
    this.#hook.enable();
  }

  /** Adds an emitter made after the snapshot: all its listeners must be gone at the end. */
  watch(name: string, source: ListenerSource): void {
    this.#sources[name] = source;
  }

  excess(): string[] {
    const found: string[] = [];
    const made: Counts = {};
    for (const kind of this.#made.values()) made[kind] = (made[kind] ?? 0) + 1;
    for (const [kind, count] of Object.entries(made))
      found.push(`${kind}: ${count} made since the start and still alive`);
    for (const [kind, count] of Object.entries(activeResources())) {
      const before = this.#resources[kind] ?? 0;
      if (count > before) found.push(`${kind}: ${count} active (was ${before})`);
    }
    for (const [key, count] of Object.entries(listenerCounts(this.#sources))) {
      const before = this.#listeners[key] ?? 0;
      if (count > before) found.push(`${key}: ${count} (was ${before})`);
    }
    return found;
  }

  async assertNothingLeft(what: string, deadlineMs = 5000): Promise<void> {
    // The polling timers below are the check's own: not followed.
    this.#stopFollowingNew = true;
    const until = performance.now() + scaledMs(deadlineMs);
    while (this.excess().length > 0 && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const excess = this.excess();
    this.#hook.disable();
    if (excess.length > 0) {
      throw new AssertionError({
        message: `${what}: still running after ${scaledMs(deadlineMs)} ms: ${excess.join('; ')}`,
      });
    }
  }
}
