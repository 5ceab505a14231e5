// Helpers shared by the room binding tests: tones to tell sources apart, RMS,
// and waits with scaled deadlines.
import type { EventEmitter } from 'node:events';
import { scaledMs } from '@agents/testing';
import type { AudioFrame } from '@livekit/rtc-node';

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

/** Resolves with the next `event`'s arguments (rejects after `ms`, scaled). */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: Pick<EventEmitter, 'on' | 'off'>,
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
