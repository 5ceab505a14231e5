import { audio, type vad } from '@agents/core';
import { scaledMs } from '@agents/testing';
import type { AudioFrame } from '@livekit/rtc-node';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BatchResult, WindowBatcher } from '../src/batch.js';
import { VAD, type VADStream } from '../src/index.js';
import { detect, framesOf, NOISY_FIXTURE, readFixture, sliceFrame } from './helpers.js';

/** Everything an event says about the audio; not `inferenceDurationMs`, which is timing. */
function contentOf(events: vad.VADEvent[]) {
  return events.map((event) => ({
    type: event.type,
    timestamp: event.timestamp,
    samplesIndex: event.samplesIndex,
    probability: event.probability,
    speaking: event.speaking,
    speechDuration: event.speechDuration,
    silenceDuration: event.silenceDuration,
    frames: event.frames.map((frame) => frame.samplesPerChannel),
  }));
}

/** Rejects after a deadline, so that a stream that stops answering fails the test quickly. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Where onnxruntime's sessions get `run` (the exported type is the factory's, not the class's). */
const sessionPrototype = (InferenceSession as unknown as { prototype: InferenceSession }).prototype;

/** The batch size of every session call while `spy` watches. */
function watchBatches(onCall?: (size: number) => void): number[] {
  const sizes: number[] = [];
  const original = sessionPrototype.run;
  vi.spyOn(sessionPrototype, 'run').mockImplementation(function (
    this: InferenceSession,
    ...args: Parameters<InferenceSession['run']>
  ) {
    const size = (args[0] as InferenceSession.FeedsType).input!.dims[0]!;
    sizes.push(size);
    onCall?.(size);
    return original.apply(this, args);
  });
  return sizes;
}

const subject = readFixture('speech-16k-mono');
/** Other audio than the subject's, at other rates and frame sizes, so batches mix. */
function others(): AudioFrame[][] {
  const stereo = readFixture('speech-48k-stereo');
  const shifted = sliceFrame(subject, 3000, subject.samplesPerChannel);
  return [
    framesOf(readFixture(NOISY_FIXTURE), 10),
    framesOf(readFixture('speech-24k-mono'), 20),
    framesOf(stereo, 10),
    framesOf(audio.convertChannels(stereo, 1), 30),
    framesOf(shifted, 10),
    framesOf(subject, 7),
  ];
}

let silero: VAD;
let alone: ReturnType<typeof contentOf>;
beforeAll(async () => {
  silero = await VAD.load();
  const sizes = watchBatches();
  alone = contentOf(await detect(silero.stream(), framesOf(subject, 10)));
  vi.restoreAllMocks();
  expect(Math.max(...sizes)).toBe(1);
}, scaledMs(60_000));
afterAll(async () => {
  await silero.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('streams sharing a model', () => {
  it('give each stream bit for bit what it gives alone, whatever runs beside it', async () => {
    const sizes = watchBatches();
    const [together] = await within(
      Promise.all([
        detect(silero.stream(), framesOf(subject, 10)),
        ...others().map((frames) => detect(silero.stream(), frames)),
      ]),
      scaledMs(60_000),
      'seven streams',
    );
    // Batches did form, with the subject's windows among others'.
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(4);
    expect(contentOf(together!)).toEqual(alone);
  });

  it('go on unchanged when a stream is closed while its window is in a model call', async () => {
    const streams = [silero.stream(), silero.stream(), silero.stream()];
    const [kept, other, victim] = streams as [VADStream, VADStream, VADStream];
    let closing: Promise<void> | undefined;
    watchBatches((size) => {
      if (size === 3 && !closing) closing = victim.close();
    });
    const victimEvents: vad.VADEvent[] = [];
    // Pushing to the closed stream throws; reading from it ends.
    const victimDone = detect(victim, framesOf(subject, 10), (event) => victimEvents.push(event))
      .then(() => undefined)
      .catch((error: unknown) => error);
    const [keptEvents, , victimError] = await within(
      Promise.all([detect(kept, framesOf(subject, 10)), detect(other, others()[0]!), victimDone]),
      scaledMs(60_000),
      'three streams, one closed',
    );
    expect(closing, 'a call held all three windows').toBeDefined();
    await within(closing!, scaledMs(10_000), 'closing the stream');
    expect(contentOf(keptEvents!)).toEqual(alone);
    expect(victimEvents.length).toBeLessThan(alone.length);
    if (victimError !== undefined) expect(String(victimError)).toMatch(/cannot push after/);
  });

  it('reject the windows of a failed call, and only those', async () => {
    const [first, second, bystander] = [silero.stream(), silero.stream(), silero.stream()];
    let failed = 0;
    const original = sessionPrototype.run;
    vi.spyOn(sessionPrototype, 'run').mockImplementation(function (
      this: InferenceSession,
      ...args: Parameters<InferenceSession['run']>
    ) {
      if ((args[0] as InferenceSession.FeedsType).input!.dims[0] === 2 && failed++ === 0) {
        return Promise.reject(new Error('onnxruntime failed on purpose'));
      }
      return original.apply(this, args);
    });
    // One window each, pushed in the same turn: one call of two.
    const window = sliceFrame(subject, 0, 512);
    first.pushFrame(window);
    second.pushFrame(window);
    const reasons = await within(
      Promise.all([first, second].map((stream) => stream.next().catch((error) => error))),
      scaledMs(10_000),
      'the failed streams',
    );
    expect(failed).toBe(1);
    for (const reason of reasons) expect(String(reason)).toMatch(/failed on purpose/);
    // The bystander had no window in that call: it runs on, as if alone.
    const events = await within(
      detect(bystander, framesOf(subject, 10)),
      scaledMs(60_000),
      'the bystander',
    );
    expect(contentOf(events)).toEqual(alone);
    await Promise.all([first.close(), second.close()]);
  });
});

describe('WindowBatcher', () => {
  const shape = { windowLength: 3, stateWidth: 2, layers: 2 };
  /** A model whose probability is the window's first sample and whose state counts calls. */
  const echo = async (samples: Float32Array, states: Float32Array, size: number) =>
    ({
      probabilities: Float32Array.from({ length: size }, (_, row) => samples[row * 3]!),
      states: states.map((value) => value + 1),
    }) satisfies BatchResult;

  it('splits what waits into calls of at most maxBatch, keeping rows and states apart', async () => {
    const sizes: number[] = [];
    const batcher = new WindowBatcher({
      ...shape,
      maxBatch: 2,
      run: (samples, states, size) => {
        sizes.push(size);
        return echo(samples, states, size);
      },
    });
    const states = [0, 1, 2, 3, 4].map((i) => Float32Array.of(i, i, 10 * i, 10 * i));
    const results = await within(
      Promise.all(states.map((state, i) => batcher.infer(Float32Array.of(i, 0, 0), state))),
      scaledMs(5_000),
      'five windows',
    );
    expect(sizes).toEqual([2, 2, 1]);
    expect(results.map((r) => r.probability)).toEqual([0, 1, 2, 3, 4]);
    expect(states.map((state) => [...state])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [i + 1, i + 1, 10 * i + 1, 10 * i + 1]),
    );
  });

  it('runs a lone window on its own arrays, without copying them into the batch buffers', async () => {
    const seen: Float32Array[] = [];
    const batcher = new WindowBatcher({
      ...shape,
      run: (samples, states, size) => {
        seen.push(samples, states);
        return echo(samples, states, size);
      },
    });
    const window = Float32Array.of(7, 0, 0);
    const state = Float32Array.of(1, 2, 3, 4);
    const result = await within(batcher.infer(window, state), scaledMs(5_000), 'a lone window');
    expect(seen[0]).toBe(window);
    expect(seen[1]).toBe(state);
    expect(result.probability).toBe(7);
    expect([...state]).toEqual([2, 3, 4, 5]);
  });

  it('refuses a window beyond maxPending, and every window once closed', async () => {
    const batcher = new WindowBatcher({ ...shape, maxPending: 2, run: echo });
    const window = () => batcher.infer(new Float32Array(3), new Float32Array(4));
    const waiting = [window(), window()];
    await expect(window()).rejects.toThrow(/2 windows already wait/);
    await batcher.close(new Error('closed for the test'));
    for (const pending of waiting) await expect(pending).rejects.toThrow(/closed for the test/);
    await expect(window()).rejects.toThrow(/closed for the test/);
  });

  it('rejects a window of the wrong size without a model call', async () => {
    const run = vi.fn(echo);
    const batcher = new WindowBatcher({ ...shape, run });
    await expect(batcher.infer(new Float32Array(2), new Float32Array(4))).rejects.toThrow(
      RangeError,
    );
    expect(run).not.toHaveBeenCalled();
  });
});
