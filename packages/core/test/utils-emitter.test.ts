import { beforeEach, describe, expect, it, vi } from 'vitest';
import { initializeLogger } from '../src/log.js';
import { TypedEventEmitter } from '../src/utils/emitter.js';

interface SessionEvents {
  user_started_speaking: { at: number };
  transcript: string;
  closed: undefined;
  // biome-ignore lint/suspicious/noConfusingVoidType: `void` must work as well as `undefined`.
  ended: void;
}

class Session extends TypedEventEmitter<SessionEvents> {}

describe('TypedEventEmitter', () => {
  let logged: Record<string, unknown>[];

  beforeEach(() => {
    logged = [];
    initializeLogger({
      level: 'error',
      pretty: false,
      destination: { write: (line: string) => logged.push(JSON.parse(line)) },
    });
  });

  it('delivers typed payloads, and none for void events', () => {
    const session = new Session();
    const seen: unknown[] = [];
    session
      .on('user_started_speaking', ({ at }) => seen.push(at))
      .on('transcript', (text) => seen.push(text.toUpperCase()))
      .on('closed', () => seen.push('closed'));

    expect(session.emit('user_started_speaking', { at: 42 })).toBe(true);
    session.emit('transcript', 'hi');
    session.emit('closed');
    session.on('ended', (...args) => seen.push(args.length)).emit('ended');
    expect(seen).toEqual([42, 'HI', 'closed', 0]);

    // The compiler rejects wrong payloads, missing payloads, extra payloads and unknown
    // events. These calls go to an emitter without listeners: only their types matter.
    const typesOnly = new Session();
    // @ts-expect-error `at` must be a number
    typesOnly.emit('user_started_speaking', { at: 'now' });
    // @ts-expect-error the payload is required
    typesOnly.emit('transcript');
    // @ts-expect-error an event without payload takes none
    typesOnly.emit('closed', 1);
    // @ts-expect-error likewise with `void`
    typesOnly.emit('ended', undefined);
    // @ts-expect-error unknown event
    typesOnly.on('nope', () => {});
    // @ts-expect-error the listener's parameter type must match the payload
    typesOnly.on('transcript', (n: number) => n);
  });

  it('returns false from emit when nobody listens', () => {
    expect(new Session().emit('closed')).toBe(false);
  });

  it('runs listeners in registration order', () => {
    const session = new Session();
    const order: number[] = [];
    session.on('closed', () => order.push(1));
    session.once('closed', () => order.push(2));
    session.on('closed', () => order.push(3));
    session.emit('closed');
    session.emit('closed');
    expect(order).toEqual([1, 2, 3, 1, 3]);
  });

  it('runs a once listener a single time, even if it emits the same event', () => {
    const session = new Session();
    const listener = vi.fn(() => session.emit('closed'));
    session.once('closed', listener);
    session.emit('closed');
    session.emit('closed');
    expect(listener).toHaveBeenCalledTimes(1);
    expect(session.listenerCount('closed')).toBe(0);
  });

  it('off removes a listener registered with once', () => {
    const session = new Session();
    const listener = vi.fn();
    session.once('closed', listener).off('closed', listener);
    expect(session.listenerCount('closed')).toBe(0);
    session.emit('closed');
    expect(listener).not.toHaveBeenCalled();
  });

  it('off removes one registration, the most recent, of a function added twice', () => {
    const session = new Session();
    const calls: string[] = [];
    const listener = () => calls.push('twice');
    session.on('closed', listener).on('closed', listener);
    session.off('closed', listener);
    expect(session.listenerCount('closed')).toBe(1);
    session.emit('closed');
    expect(calls).toEqual(['twice']);
  });

  it('lets a listener remove itself during emit without skipping the next one', () => {
    const session = new Session();
    const calls: string[] = [];
    const self = () => {
      calls.push('self');
      session.off('closed', self);
    };
    session.on('closed', self).on('closed', () => calls.push('next'));
    session.emit('closed');
    session.emit('closed');
    expect(calls).toEqual(['self', 'next', 'next']);
  });

  it('does not call a listener removed by an earlier one in the same emit', () => {
    const session = new Session();
    const later = vi.fn();
    session.on('closed', () => session.off('closed', later)).on('closed', later);
    session.emit('closed');
    expect(later).not.toHaveBeenCalled();

    const other = vi.fn();
    session.removeAllListeners('closed');
    session.on('closed', () => session.removeAllListeners()).on('closed', other);
    session.emit('closed');
    expect(other).not.toHaveBeenCalled();
  });

  it('runs listeners added during an emit from the next emit on', () => {
    const session = new Session();
    const added = vi.fn();
    session.once('closed', () => session.on('closed', added));
    session.emit('closed');
    expect(added).not.toHaveBeenCalled();
    session.emit('closed');
    expect(added).toHaveBeenCalledTimes(1);
  });

  it('counts and removes listeners per event or all at once', () => {
    const session = new Session();
    session
      .on('closed', () => {})
      .on('closed', () => {})
      .on('transcript', () => {});
    expect(session.listenerCount('closed')).toBe(2);
    expect(session.removeAllListeners('closed')).toBe(session);
    expect(session.listenerCount('closed')).toBe(0);
    expect(session.listenerCount('transcript')).toBe(1);
    session.removeAllListeners();
    expect(session.listenerCount('transcript')).toBe(0);
  });

  it('logs a listener that throws and still runs the others', () => {
    const session = new Session();
    const after = vi.fn();
    session
      .on('transcript', () => {
        throw new Error('user bug');
      })
      .on('transcript', after);
    expect(() => session.emit('transcript', 'hello')).not.toThrow();
    expect(after).toHaveBeenCalledWith('hello');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 50,
      event: 'transcript',
      err: { message: 'user bug', type: 'Error' },
    });
  });

  it('logs the rejection of an async listener instead of leaving it unhandled', async () => {
    const session = new Session();
    session.on('closed', async () => {
      throw new Error('async bug');
    });
    session.emit('closed');
    // The rejection is handled in a microtask; one macrotask turn is after all of them.
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ event: 'closed', err: { message: 'async bug' } });
  });
});
