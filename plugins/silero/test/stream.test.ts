import { audio, initializeLogger, type metrics, vad } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VAD } from '../src/index.js';
import {
  detect,
  FIXTURES,
  framesOf,
  NOISY_FIXTURE,
  ofType,
  readFixture,
  regions,
  sliceFrame,
  speechSegments,
} from './helpers.js';

const { START_OF_SPEECH, INFERENCE_DONE, END_OF_SPEECH } = vad.VADEventType;
/** How far a detected start or end may be from where the speech really starts or ends. */
const TOLERANCE = 0.1;
const WINDOW = 0.032;

let silero: VAD;
beforeAll(async () => {
  silero = await VAD.load();
});
afterAll(async () => {
  await silero.close();
});

function expectSegmentsNear(found: [number, number][], expected: [number, number][]): void {
  expect(found).toHaveLength(expected.length);
  found.forEach(([start, end], i) => {
    const [expectedStart, expectedEnd] = expected[i]!;
    expect(Math.abs(start - expectedStart), `start of utterance ${i}`).toBeLessThanOrEqual(
      TOLERANCE,
    );
    expect(Math.abs(end - expectedEnd), `end of utterance ${i}`).toBeLessThanOrEqual(TOLERANCE);
  });
}

/** Deterministic pseudo-random numbers in [0, 1), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function whiteNoise(seconds: number, rms: number): AudioFrame {
  const next = random(7);
  const frame = audio.createSilentFrame(16_000, 1, seconds);
  // Uniform noise on [-a, a] has an RMS of a / sqrt(3).
  const amplitude = rms * Math.sqrt(3) * 32_767;
  for (let i = 0; i < frame.data.length; i++) {
    frame.data[i] = Math.round((next() * 2 - 1) * amplitude);
  }
  return frame;
}

describe.each(FIXTURES)('%s in 10 ms frames', (name) => {
  const input = readFixture(name);
  const expected = regions[name]!;
  let events: vad.VADEvent[];
  beforeAll(async () => {
    events = await detect(silero.stream(), framesOf(input, 10));
  });

  it('finds each utterance within 100 ms of where it is', () => {
    expect(input.sampleRate).toBe(expected.sampleRate);
    expectSegmentsNear(speechSegments(events), expected.speech);
    // START_OF_SPEECH reports the same start as the END_OF_SPEECH that follows it.
    const starts = ofType(events, START_OF_SPEECH).map((e) => e.timestamp - e.speechDuration);
    starts.forEach((start, i) => {
      expect(start).toBeCloseTo(speechSegments(events)[i]![0], 9);
    });
  });

  it('emits exactly one INFERENCE_DONE per 32 ms window, in the input time base', () => {
    const inferences = ofType(events, INFERENCE_DONE);
    const duration = audio.frameDuration(input);
    expect(inferences).toHaveLength(Math.floor(duration / WINDOW));
    inferences.forEach((event, i) => {
      expect(event.timestamp).toBeCloseTo((i + 1) * WINDOW, 9);
      expect(event.samplesIndex).toBe(Math.round(event.timestamp * input.sampleRate));
      expect(event.frames).toEqual([]);
    });
  });

  it('alternates START and END, each followed by the window that caused it', () => {
    const edges = events.filter((e) => e.type !== INFERENCE_DONE);
    expect(edges.map((e) => e.type)).toEqual(
      expected.speech.flatMap(() => [START_OF_SPEECH, END_OF_SPEECH]),
    );
    for (const edge of edges) {
      const next = events[events.indexOf(edge) + 1]!;
      expect(next).toMatchObject({ type: INFERENCE_DONE, timestamp: edge.timestamp });
      expect(next.speaking).toBe(edge.type === START_OF_SPEECH);
    }
  });

  it('hands out the padded speech, in the input format', () => {
    for (const edge of events.filter((e) => e.type !== INFERENCE_DONE)) {
      const start = edge.timestamp - edge.silenceDuration - edge.speechDuration;
      const from = Math.max(0, start - silero.options.prefixPaddingDuration);
      // START: padding + speech so far. END: the whole utterance, through the silence that ended it.
      expect(audio.framesDuration(edge.frames)).toBeCloseTo(edge.timestamp - from, 3);
      for (const frame of edge.frames) {
        expect(frame).toMatchObject({ sampleRate: input.sampleRate, channels: input.channels });
        // Standalone arrays: rtc-node's native calls read `data.buffer` from its start.
        expect(frame.data.byteOffset).toBe(0);
        expect(frame.data.buffer.byteLength).toBe(frame.samplesPerChannel * frame.channels * 2);
      }
    }
  });
});

describe('input of any shape', () => {
  it('gives the same events for frames of any duration', async () => {
    const input = readFixture('speech-48k-stereo');
    const next = random(1);
    const frames: AudioFrame[] = [];
    for (let at = 0; at < input.samplesPerChannel; ) {
      const size = Math.min(1 + Math.floor(next() * 48 * 120), input.samplesPerChannel - at);
      frames.push(sliceFrame(input, at, at + size));
      at += size;
    }
    const even = await detect(silero.stream(), framesOf(input, 10));
    // 48 kHz goes through the plugin's decimator, whose output does not depend on how the
    // input is cut: the same events, times and probabilities bit for bit.
    const expectSame = (events: vad.VADEvent[]) => {
      expect(events.map((e) => [e.type, e.timestamp, e.probability])).toEqual(
        even.map((e) => [e.type, e.timestamp, e.probability]),
      );
    };
    expectSame(await detect(silero.stream(), frames));
    // A whole file in one frame works as well.
    expectSame(await detect(silero.stream(), [input]));
  });

  it('finds speech in noise within 100 ms', async () => {
    const events = await detect(silero.stream(), framesOf(readFixture(NOISY_FIXTURE), 20));
    expectSegmentsNear(speechSegments(events), regions[NOISY_FIXTURE]!.speech);
  });

  it('finds the same speech with the 8 kHz model', async () => {
    const narrow = await VAD.load({ sampleRate: 8000 });
    try {
      const events = await detect(narrow.stream(), framesOf(readFixture('speech-16k-mono')));
      expectSegmentsNear(speechSegments(events), regions['speech-16k-mono']!.speech);
      expect(ofType(events, INFERENCE_DONE)[0]!.timestamp).toBeCloseTo(WINDOW, 9);
    } finally {
      await narrow.close();
    }
  });

  it('finds no speech in silence', async () => {
    const events = await detect(silero.stream(), framesOf(audio.createSilentFrame(48_000, 2, 10)));
    expect(ofType(events, INFERENCE_DONE)).toHaveLength(Math.floor(10 / WINDOW));
    expect(events.every((e) => e.type === INFERENCE_DONE && !e.speaking)).toBe(true);
    expect(Math.max(...events.map((e) => e.probability))).toBeLessThan(0.1);
  });

  it('finds no speech in white noise', async () => {
    for (const rms of [0.01, 0.1, 0.3]) {
      const events = await detect(silero.stream(), framesOf(whiteNoise(10, rms)));
      expect(
        events.filter((e) => e.type !== INFERENCE_DONE),
        `noise at RMS ${rms}`,
      ).toEqual([]);
    }
  });
});

describe('streams on one model', () => {
  it('do not disturb each other when interleaved', async () => {
    const summary = (events: vad.VADEvent[]) =>
      events.map((e) => [e.type, e.timestamp, e.probability, e.speechDuration]);
    // Both at the model's rate: without the resampler's dither, equal means bit for bit.
    const a = framesOf(readFixture('speech-16k-mono'));
    const b = framesOf(readFixture(NOISY_FIXTURE), 20);
    const alone = [await detect(silero.stream(), a), await detect(silero.stream(), b)];
    const together: vad.VADEvent[][] = [[], []];
    const order: number[] = [];
    const take = (which: number) => (event: vad.VADEvent) => {
      together[which]!.push(event);
      order.push(which);
    };
    await Promise.all([detect(silero.stream(), a, take(0)), detect(silero.stream(), b, take(1))]);
    // They did run side by side: the events of one came between those of the other many times.
    expect(order.filter((which, i) => i > 0 && which !== order[i - 1]).length).toBeGreaterThan(10);
    expect(summary(together[0]!)).toEqual(summary(alone[0]!));
    expect(summary(together[1]!)).toEqual(summary(alone[1]!));
  });
});

describe('segments and options', () => {
  const input = readFixture('speech-16k-mono');
  const [first] = regions['speech-16k-mono']!.speech;

  it('flush() ends the utterance in progress at once, with all audio pushed', async () => {
    const stream = silero.stream();
    const middle = Math.round((first![0] + 0.5) * input.sampleRate);
    const events = [];
    for (const frame of framesOf(sliceFrame(input, 0, middle))) stream.pushFrame(frame);
    stream.flush();
    for await (const event of stream) {
      events.push(event);
      if (event.type === END_OF_SPEECH) break;
    }
    const end = events.at(-1)!;
    expect(end.type).toBe(END_OF_SPEECH);
    expect(end.timestamp).toBeCloseTo(middle / input.sampleRate, 6);
    expect(end.samplesIndex).toBe(middle);
    expect(audio.framesDuration(end.frames)).toBeCloseTo(
      0.5 + end.speechDuration + end.silenceDuration,
      3,
    );
    expect(ofType(events, START_OF_SPEECH)).toHaveLength(1);
  });

  it('ends an open utterance when the input ends', async () => {
    const middle = Math.round((first![0] + 0.5) * input.sampleRate);
    const events = await detect(silero.stream(), framesOf(sliceFrame(input, 0, middle)));
    expect(events.filter((e) => e.type !== INFERENCE_DONE).map((e) => e.type)).toEqual([
      START_OF_SPEECH,
      END_OF_SPEECH,
    ]);
  });

  it('caps the frames of a long utterance at maxBufferedSpeech, but not its duration', async () => {
    const capped = await VAD.load({ maxBufferedSpeech: 1 });
    try {
      const stream = capped.stream();
      let most = 0;
      const ends: vad.VADEvent[] = [];
      await detect(stream, framesOf(input), (event) => {
        most = Math.max(most, stream.bufferedDuration, audio.framesDuration(event.frames));
        if (event.type === END_OF_SPEECH) ends.push(event);
      });
      // The first utterance lasts 1.7 s: its duration is whole, its frames stop at 1 s.
      expect(ends[0]!.speechDuration).toBeGreaterThan(1.5);
      expect(most).toBeLessThanOrEqual(1 + 1e-9);
      expect(audio.framesDuration(ends[0]!.frames)).toBeGreaterThan(0.95);
    } finally {
      await capped.close();
    }
  });

  it('applies updateOptions() to open streams from the next window', async () => {
    const vadInstance = await VAD.load();
    try {
      const stream = vadInstance.stream();
      // Pauses of up to a second now stay inside the utterance: one segment.
      vadInstance.updateOptions({ minSilenceDuration: 1.2 });
      expect(stream.options.minSilenceDuration).toBe(1.2);
      const events = await detect(stream, framesOf(input));
      expect(ofType(events, END_OF_SPEECH)).toHaveLength(1);
      expect(() => vadInstance.updateOptions({ activationThreshold: 2 })).toThrow(RangeError);
      expect(vadInstance.options.activationThreshold).toBe(0.5);
      expect(() => stream.updateOptions({ minSpeechDuration: -1 })).toThrow(/minSpeechDuration/);
      expect(vadInstance.stream().options.minSilenceDuration).toBe(1.2);
    } finally {
      await vadInstance.close();
    }
  });

  it('reports VAD metrics from its inferences', async () => {
    const seen: metrics.VADMetrics[] = [];
    const listener = (m: metrics.VADMetrics) => seen.push(m);
    silero.on('metrics_collected', listener);
    const stream = silero.stream();
    await detect(stream, framesOf(input));
    await stream.close();
    silero.off('metrics_collected', listener);
    const windows = Math.floor(audio.frameDuration(input) / WINDOW);
    expect(seen.reduce((n, m) => n + m.inferenceCount, 0)).toBe(windows);
    const audioMs = seen.reduce((total, m) => total + m.audioDurationMs, 0);
    expect(audioMs).toBeCloseTo(windows * WINDOW * 1000, 3);
    // How long inference took depends on the machine (a busy one can fall behind real time):
    // only that it was measured, and that the factor is the one it reports, are checked.
    for (const m of seen) {
      expect(m).toMatchObject({ type: 'vad', label: 'silero.VAD' });
      expect(m.inferenceDurationMs).toBeGreaterThan(0);
      expect(Number.isFinite(m.inferenceDurationMs)).toBe(true);
      expect(m.realTimeFactor).toBeCloseTo(m.inferenceDurationMs / m.audioDurationMs, 9);
    }
  });

  it('warns when inference falls behind real time', async () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(line) };
    initializeLogger({ level: 'warn', pretty: false, destination });
    const own = await VAD.load();
    try {
      const stream = own.stream();
      for (const frame of framesOf(input).slice(0, 100)) stream.pushFrame(frame);
      // A blocked event loop: the second of audio just pushed waits 0.6 s for inference.
      const until = performance.now() + 600;
      while (performance.now() < until) {}
      stream.endInput();
      while (!(await stream.next()).done) {}
      expect(lines.filter((line) => line.includes('behind real time'))).toHaveLength(1);
      expect(JSON.parse(lines[0]!).lagSeconds).toBeGreaterThan(0.5);
    } finally {
      initializeLogger();
      await own.close();
    }
  });

  it('closes its streams when the VAD closes', async () => {
    const own = await VAD.load();
    const stream = own.stream();
    stream.pushFrame(audio.createSilentFrame(16_000, 1, 1));
    await own.close();
    expect(stream.closed).toBe(true);
    expect(() => own.stream()).toThrow(/after close/);
  });

  it('stops when closed mid-stream, and refuses frames afterwards', async () => {
    const stream = silero.stream();
    for (const frame of framesOf(input)) stream.pushFrame(frame);
    const first = await stream.next();
    expect(first.value?.type).toBe(INFERENCE_DONE);
    await stream.close();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(() => stream.pushFrame(input)).toThrow(/after close/);
  });
});
