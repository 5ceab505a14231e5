// Helpers shared by the room binding tests: tones to tell sources apart, RMS,
// and waits with scaled deadlines.

import type { AudioFrame } from '@livekit/rtc-node';
import { scaledMs } from '../../src/index.js';

/** A sine tone, 16-bit mono: its amplitude tells one source from another. */
export function tone(seconds: number, sampleRate: number, amplitude: number, hz = 440): Int16Array {
  const out = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  }
  return out;
}

export function rms(frame: AudioFrame): number {
  let sum = 0;
  for (const sample of frame.data) sum += sample * sample;
  return frame.data.length ? Math.sqrt(sum / frame.data.length) : 0;
}

/** Node's EventEmitter, or core's TypedEventEmitter. */
// biome-ignore lint/suspicious/noExplicitAny: listeners of any event signature.
type Emitter = { on(event: any, listener: any): unknown; off(event: any, listener: any): unknown };

/** Resolves with the next `event`'s arguments (rejects after `ms`, scaled). */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: Emitter,
  event: string,
  ms = 5000,
  accept: (...args: T) => boolean = () => true,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      if (!accept(...(args as T))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' within ${scaledMs(ms)} ms`));
    }, scaledMs(ms));
    emitter.on(event, listener);
  });
}

/**
 * Reads frames until one satisfies `predicate`, returning the frames read
 * (the last one matched); rejects after `ms` (scaled) or if the stream ends.
 */
export async function readUntil(
  iterator: AsyncIterator<AudioFrame>,
  predicate: (frame: AudioFrame) => boolean,
  ms = 5000,
): Promise<AudioFrame[]> {
  const frames: AudioFrame[] = [];
  const deadline = performance.now() + scaledMs(ms);
  while (performance.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), Math.max(1, deadline - performance.now()));
    });
    const next = await Promise.race([iterator.next(), expired]);
    clearTimeout(timer);
    if (next === 'expired') break;
    if (next.done) throw new Error(`the stream ended after ${frames.length} frames`);
    frames.push(next.value);
    if (predicate(next.value)) return frames;
  }
  throw new Error(`no matching frame within ${scaledMs(ms)} ms (${frames.length} frames read)`);
}

/** What keeps the process alive now, counted by kind (timers, handles, immediates...). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/**
 * Waits until no kind of resource outnumbers what `before` had (a callback
 * already queued, e.g. an Immediate, gets its turn), then asserts it: what a
 * test made and closed is gone. Rejects with the excess after `ms` (scaled).
 */
export async function expectNothingLeftRunning(
  before: Record<string, number>,
  ms = 5000,
): Promise<void> {
  const excess = () =>
    Object.entries(activeResources())
      .filter(([kind, count]) => count > (before[kind] ?? 0))
      .map(([kind, count]) => `${kind}: ${count} (was ${before[kind] ?? 0})`);
  const deadline = performance.now() + scaledMs(ms);
  while (excess().length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (excess().length > 0) throw new Error(`left running: ${excess().join(', ')}`);
}

/**
 * A tone's frequency from its zero crossings: tells two voices apart where
 * loudness cannot (a real decoder fades a stopped track out through every level).
 */
export function pitch(frame: AudioFrame): number {
  let crossings = 0;
  for (let i = 1; i < frame.data.length; i++) {
    if (frame.data[i - 1]! < 0 !== frame.data[i]! < 0) crossings++;
  }
  return (crossings / 2) * (frame.sampleRate / frame.samplesPerChannel);
}
