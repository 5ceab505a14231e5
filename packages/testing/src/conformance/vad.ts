import { AssertionError } from 'node:assert';
import { type metrics, vad } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { FIXTURE_REGIONS, fixtureFrames, fixtureSeconds, longSpeech } from './audio.js';
import { registrationCheck } from './common.js';
import { MemorySampler } from './memory.js';
import { LeakCheck } from './resources.js';
import { describeConformance } from './runner.js';
import { returnsPromptly } from './timing.js';
import type { ConformanceCheck, VADConformanceOptions } from './types.js';

const { VADEventType: T } = vad;
type Check = ConformanceCheck<VADConformanceOptions>;

/** Memory a 10-minute VAD stream may gain between 10 % and 90 % (the audio alone is ~15 MB). */
export const VAD_LONG_STREAM_GROWTH_MB = 8;

/** A fresh model per check, closed after it whatever the outcome. */
function check(
  id: string,
  title: string,
  timeoutMs: number,
  run: (model: vad.VAD) => Promise<void>,
): Check {
  return {
    id,
    title,
    timeoutMs,
    async run(options) {
      const model = await options.create();
      try {
        await run(model);
      } finally {
        await returnsPromptly('VAD.close()', model.close());
      }
    },
  };
}

/** Writes `frames` with backpressure while reading; ends the input; returns every event. */
export async function driveVAD(
  stream: vad.VADStream,
  frames: Iterable<AudioFrame>,
  beforeFrame?: () => Promise<void> | void,
): Promise<vad.VADEvent[]> {
  const events: vad.VADEvent[] = [];
  const reading = (async () => {
    for await (const event of stream) events.push(event);
  })();
  try {
    for (const frame of frames) {
      await beforeFrame?.();
      await stream.write(frame);
    }
    stream.endInput();
  } catch {
    // The stream ended early: the reader has the reason.
  }
  await reading;
  return events;
}

const fail = (message: string): never => {
  throw new AssertionError({ message });
};

/** START and END alternate, and each speech region of the fixture lies in a detected span. */
export function assertSpeechEvents(events: readonly vad.VADEvent[]): void {
  const spans: [number, number][] = [];
  let start: number | undefined;
  for (const event of events) {
    if (event.type === T.START_OF_SPEECH) {
      if (start !== undefined)
        fail(`a second START_OF_SPEECH at ${event.timestamp} s before END_OF_SPEECH`);
      start = event.timestamp - event.speechDuration;
    } else if (event.type === T.END_OF_SPEECH) {
      if (start === undefined)
        fail(`END_OF_SPEECH at ${event.timestamp} s without START_OF_SPEECH`);
      spans.push([start as number, event.timestamp]);
      start = undefined;
    }
  }
  if (start !== undefined) spans.push([start, Number.POSITIVE_INFINITY]);
  const shown = JSON.stringify(spans.map(([a, b]) => [+a.toFixed(2), +b.toFixed(2)]));
  for (const [from, to] of FIXTURE_REGIONS) {
    const middle = (from + to) / 2;
    if (!spans.some(([a, b]) => a <= middle && middle <= b)) {
      fail(`the speech at ${from}–${to} s is in no START…END span; spans: ${shown}`);
    }
  }
  for (const [a] of spans) {
    if (!FIXTURE_REGIONS.some(([from, to]) => a >= from - 0.5 && a <= to)) {
      fail(`speech detected from ${a.toFixed(2)} s, where the fixture is silent; spans: ${shown}`);
    }
  }
}

export const vadChecks: readonly Check[] = [
  check(
    'speech-events',
    'START_OF_SPEECH and END_OF_SPEECH around each sentence of the fixture',
    30_000,
    async (model) => {
      assertSpeechEvents(await driveVAD(model.stream(), fixtureFrames()));
    },
  ),
  check(
    'inference-cadence',
    'one INFERENCE_DONE per updateInterval of audio, in order, probabilities in [0, 1]',
    30_000,
    async (model) => {
      const events = await driveVAD(model.stream(), fixtureFrames());
      const inferences = events.filter((e) => e.type === T.INFERENCE_DONE);
      const expected = fixtureSeconds() / model.capabilities.updateInterval;
      if (Math.abs(inferences.length - expected) > 2) {
        fail(
          `${inferences.length} INFERENCE_DONE for ${fixtureSeconds().toFixed(2)} s of audio; updateInterval ${model.capabilities.updateInterval} s promises ~${Math.floor(expected)}`,
        );
      }
      let previous = 0;
      for (const event of events) {
        if (!(event.probability >= 0 && event.probability <= 1))
          fail(`${event.type} with probability ${event.probability}`);
        if (event.type !== T.INFERENCE_DONE) continue;
        if (!(event.timestamp > previous))
          fail(`INFERENCE_DONE timestamps not increasing: ${previous} then ${event.timestamp}`);
        if (!(event.inferenceDurationMs >= 0))
          fail(`inferenceDurationMs ${event.inferenceDurationMs}`);
        previous = event.timestamp;
      }
    },
  ),
  check(
    'close-mid-stream',
    'close() mid-stream returns promptly and ends the reader',
    30_000,
    async (model) => {
      const stream = model.stream();
      const reading = (async () => {
        for await (const _ of stream);
      })();
      for (const frame of fixtureFrames(20, 0, 1.5)) await stream.write(frame);
      await returnsPromptly('close() mid-stream', stream.close());
      await returnsPromptly('the reader after close()', reading);
    },
  ),
  check(
    'break-mid-stream',
    '`break` out of for-await returns promptly and stops the stream',
    30_000,
    async (model) => {
      const stream = model.stream();
      let feeding = true;
      const feeder = (async () => {
        for (const frame of fixtureFrames()) {
          if (!feeding) return;
          await stream.write(frame);
        }
      })().catch(() => {});
      await returnsPromptly('the first event, then `break`', async () => {
        for await (const _ of stream) break;
      });
      feeding = false;
      await returnsPromptly('writes after `break`', feeder);
    },
  ),
  check('long-stream', '10 minutes of audio fed fast, with flat memory', 240_000, async (model) => {
    const sampler = new MemorySampler();
    let starts = 0;
    const stream = model.stream();
    const reading = (async () => {
      for await (const event of stream) if (event.type === T.START_OF_SPEECH) starts++;
    })();
    try {
      for (const frame of longSpeech(10, (f) => sampler.progress(f))) {
        await sampler.settled();
        await stream.write(frame);
      }
      stream.endInput();
    } catch {}
    await reading;
    if (starts < 81)
      fail(
        `${starts} START_OF_SPEECH in 10 minutes of speech (at least one per repetition expected)`,
      );
    await sampler.assertFlat('10 minutes of audio', VAD_LONG_STREAM_GROWTH_MB);
  }),
  check(
    'independent-streams',
    'two streams fed the same audio give the same events',
    30_000,
    async (model) => {
      const a = model.stream();
      const b = model.stream();
      const frames = fixtureFrames();
      // Interleaved: a stream that shares state with the other would drift.
      const [ea, eb] = await Promise.all([driveVAD(a, frames), driveVAD(b, frames)]);
      const shape = (events: vad.VADEvent[]) =>
        events.map((e) => `${e.type}@${e.samplesIndex}:${e.speaking}`);
      const sa = shape(ea);
      const sb = shape(eb);
      const differ = sa.findIndex((x, i) => x !== sb[i]);
      if (sa.length !== sb.length || differ >= 0) {
        fail(
          `the streams differ at event ${differ >= 0 ? differ : Math.min(sa.length, sb.length)}: ${sa[differ] ?? 'end'} vs ${sb[differ] ?? 'end'} (${sa.length} vs ${sb.length} events)`,
        );
      }
    },
  ),
  check('metrics', 'metrics_collected reports sane VAD metrics', 30_000, async (model) => {
    const seen: metrics.AgentMetrics[] = [];
    const listener = (m: metrics.AgentMetrics) => void seen.push(m);
    model.on('metrics_collected', listener as never);
    try {
      await driveVAD(model.stream(), fixtureFrames());
    } finally {
      model.off('metrics_collected', listener as never);
    }
    const vadMetrics = seen.filter((m): m is metrics.VADMetrics => m.type === 'vad');
    if (vadMetrics.length === 0)
      fail(
        `no 'vad' metrics_collected event (saw: ${seen.map((m) => m.type).join(', ') || 'none'})`,
      );
    for (const m of vadMetrics) {
      const bad = (why: string) => fail(`vad metrics ${JSON.stringify(m)}: ${why}`);
      if (m.label !== model.label) bad(`label should be the model's (${model.label})`);
      if (!(m.inferenceDurationMs >= 0 && m.audioDurationMs >= 0 && m.realTimeFactor >= 0))
        bad('durations must be ≥ 0');
      if (!(Number.isInteger(m.inferenceCount) && m.inferenceCount >= 0))
        bad('inferenceCount must be a whole number ≥ 0');
    }
  }),
  {
    id: 'nothing-left',
    title: 'nothing is left running after the streams and the model are closed',
    timeoutMs: 30_000,
    async run(options) {
      const leaks = new LeakCheck();
      const model = await options.create();
      leaks.watch('the model', model);
      try {
        await driveVAD(model.stream(), fixtureFrames());
        const open = model.stream();
        await open.write(fixtureFrames()[0]!);
        await returnsPromptly('stream.close()', open.close());
      } finally {
        await returnsPromptly('VAD.close()', model.close());
      }
      await leaks.assertNothingLeft('after close()');
    },
  },
  registrationCheck<VADConformanceOptions>(),
];

/** The VAD suite: one test per check, each with a fresh model from `options.create`. */
export function describeVADConformance(options: VADConformanceOptions): void {
  describeConformance(`${options.name}: VAD conformance`, vadChecks, options);
}
