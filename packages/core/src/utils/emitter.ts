import { log } from '../log.js';

/**
 * What `emit` takes after the event name: nothing for an event whose payload type is
 * `undefined` (or `void`), else the payload.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: `undefined` is assignable to `void`, so this matches both spellings of "no payload".
export type EventArgs<Payload> = [Payload] extends [void] ? [] : [payload: Payload];

/** A listener for an event whose payload type is `Payload`. */
export type Listener<Payload> = (...args: EventArgs<Payload>) => void;

interface Registration {
  listener: (...args: unknown[]) => unknown;
  once: boolean;
  /** Set on removal, so an emit already under way skips it. */
  removed: boolean;
}

/**
 * A synchronous event emitter whose events and payloads are checked by the compiler.
 * `Events` maps each event name to its payload type, `undefined` for none:
 *
 *     type Events = { user_started_speaking: { at: number }; closed: undefined };
 *     class Session extends TypedEventEmitter<Events> {}
 *     session.on('user_started_speaking', ({ at }) => ...);
 *     session.emit('closed');
 *
 * Listeners run in registration order. An emit runs the listeners registered when it
 * started, minus any removed before their turn: listeners added during an emit wait
 * for the next one, and a removed listener is never called again, even by an emit in
 * progress. A listener that throws (or returns a rejected promise) is logged and the
 * others still run: one user callback must not take down the audio pipeline.
 */
export class TypedEventEmitter<Events extends object> {
  // Lists are replaced, never changed in place, so an emit can iterate the list it
  // started with while listeners add and remove others.
  readonly #listeners = new Map<keyof Events, readonly Registration[]>();

  /** Calls `listener` on every `event`. Registering the same function twice calls it twice. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    return this.#add(event, listener, false);
  }

  /** Calls `listener` on the next `event` only; `off` removes it before then. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    return this.#add(event, listener, true);
  }

  /** Removes the most recent registration of `listener`, made by `on` or `once`. */
  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const registration = this.#listeners.get(event)?.findLast((r) => r.listener === listener);
    if (registration) this.#remove(event, registration);
    return this;
  }

  /** Removes the listeners of `event`, or of every event when it is omitted. */
  removeAllListeners(event?: keyof Events): this {
    const events = event === undefined ? [...this.#listeners.keys()] : [event];
    for (const name of events) {
      for (const registration of this.#listeners.get(name) ?? []) registration.removed = true;
      this.#listeners.delete(name);
    }
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Calls the listeners of `event` with the payload; false when there were none. */
  emit<E extends keyof Events>(event: E, ...args: EventArgs<Events[E]>): boolean {
    const registrations = this.#listeners.get(event);
    if (!registrations) return false;
    for (const registration of registrations) {
      if (registration.removed) continue;
      // Removed before the call, so a listener that emits the same event again
      // cannot run twice.
      if (registration.once) this.#remove(event, registration);
      this.#call(event, registration.listener, args);
    }
    return true;
  }

  #add(event: keyof Events, listener: Listener<never>, once: boolean): this {
    const registration: Registration = {
      listener: listener as Registration['listener'],
      once,
      removed: false,
    };
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), registration]);
    return this;
  }

  #remove(event: keyof Events, registration: Registration): void {
    registration.removed = true;
    const remaining = (this.#listeners.get(event) ?? []).filter((r) => r !== registration);
    if (remaining.length > 0) this.#listeners.set(event, remaining);
    else this.#listeners.delete(event);
  }

  #call(event: keyof Events, listener: Registration['listener'], args: unknown[]): void {
    const report = (err: unknown) => {
      log().error({ err, event: String(event) }, 'event listener failed');
    };
    try {
      const result = listener(...args);
      // Listeners are typed to return nothing, but an async function still fits; its
      // rejection would otherwise be unhandled and end the process.
      if (result instanceof Promise) result.catch(report);
    } catch (err) {
      report(err);
    }
  }
}
