import { scaledMs } from '../src/index.js';

/** The key the Deepgram stand-in tests start it with and present. */
export const KEY = 'dg-test-key';

/** `promise`, or a rejection naming `what` after `ms` × TEST_TIME_SCALE. */
export function deadline<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), scaledMs(ms)).unref(),
    ),
  ]);
}
