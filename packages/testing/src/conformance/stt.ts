import { AssertionError } from 'node:assert';
import { type metrics, stt } from '@agents/core';
import {
  FIXTURE_REGIONS,
  FIXTURE_UTTERANCES,
  fixtureFrames,
  fixtureSeconds,
  longSpeech,
  longSpeechLoops,
} from './audio.js';
import { registrationCheck } from './common.js';
import { assertAPIError, rejection } from './errors.js';
import { MemorySampler } from './memory.js';
import { LeakCheck } from './resources.js';
import { type CheckSession, describeConformance, skipCheck, withSession } from './runner.js';
import {
  assertEventOrder,
  assertFinalsSayFixture,
  assertSaid,
  drive,
  words,
} from './stt-stream.js';
import { eventually, returnsPromptly } from './timing.js';
import type { ConformanceCheck, STTConformanceOptions } from './types.js';

const { SpeechEventType: T } = stt;
type Check = ConformanceCheck<STTConformanceOptions>;
type Session = CheckSession<stt.STT>;

/** Minutes of audio in the long-stream check. */
export const LONG_STREAM_MINUTES = 10;
/** Memory a long stream may gain between 10 % and 90 % (the audio alone is ~15 MB). */
export const LONG_STREAM_GROWTH_MB = 8;

/** The first utterance with a little silence after it. */
const firstUtterance = () =>
  fixtureFrames(20, 0, (FIXTURE_REGIONS[0]![1] + FIXTURE_REGIONS[1]![0]) / 2);

async function prepare(
  options: STTConformanceOptions,
  session: Session,
  utterances: readonly string[],
) {
  await options.prepare?.(session.service, utterances);
}

async function streamingModel(session: Session): Promise<stt.STT> {
  const model = await session.model();
  if (!model.capabilities.streaming) skipCheck('not streaming (capabilities.streaming is false)');
  return model;
}

function check(
  id: string,
  title: string,
  timeoutMs: number,
  run: (o: STTConformanceOptions, s: Session) => Promise<void>,
  skipIf?: Check['skipIf'],
): Check {
  return {
    id,
    title,
    timeoutMs,
    skipIf,
    run: (options) => withSession(options, (session) => run(options, session)),
  };
}

/** The service's optional control, or a skip naming it. */
function control<K extends 'dropConnections' | 'failNext'>(session: Session, member: K) {
  const method = session.service[member];
  if (!method) skipCheck(`the service has no ${member}()`);
  return method.bind(session.service) as NonNullable<(typeof session.service)[K]>;
}

export const sttChecks: readonly Check[] = [
  check(
    'recognize',
    'recognize() gives a FINAL_TRANSCRIPT with the words said',
    30_000,
    async (options, session) => {
      const model = await session.model();
      await prepare(options, session, FIXTURE_UTTERANCES.slice(0, 1));
      const event = await model.recognize(firstUtterance());
      if (event.type !== T.FINAL_TRANSCRIPT) {
        throw new AssertionError({
          message: `recognize() returned a ${event.type}, not a FINAL_TRANSCRIPT`,
        });
      }
      assertSaid(event.alternatives[0]?.text ?? '', FIXTURE_UTTERANCES[0]!, 'recognize()');
    },
  ),
  check(
    'stream-events',
    'a stream reports each utterance in order: START ≤ interims ≤ FINAL ≤ END',
    30_000,
    async (options, session) => {
      const model = await streamingModel(session);
      await prepare(options, session, FIXTURE_UTTERANCES);
      const run = await drive(model.stream(), fixtureFrames());
      if (run.error) throw run.error;
      assertEventOrder(run.events, fixtureSeconds());
      assertFinalsSayFixture(run.events, 'the finals of a stream');
    },
  ),
  check(
    'flush',
    'flush() ends the segment: its FINAL arrives without more audio',
    30_000,
    async (options, session) => {
      const model = await streamingModel(session);
      await prepare(options, session, FIXTURE_UTTERANCES);
      const stream = model.stream();
      try {
        // The utterance without the silence after it: only the flush can end it.
        for (const frame of fixtureFrames(20, 0, FIXTURE_REGIONS[0]![1] + 0.1))
          await stream.write(frame);
        stream.flush();
        // The segment's FINAL: the words said so far (a service may not have heard the last word end).
        const said = await returnsPromptly(
          'the FINAL_TRANSCRIPT after flush()',
          async () => {
            for await (const event of stream) {
              const text = event.alternatives[0]?.text ?? '';
              if (event.type === T.FINAL_TRANSCRIPT && words(text).length > 0) return text;
            }
            throw new AssertionError({
              message: 'the stream ended before the FINAL_TRANSCRIPT of the flushed segment',
            });
          },
          10_000,
        );
        const expected = words(FIXTURE_UTTERANCES[0]!);
        assertSaid(
          said,
          expected.slice(0, words(said).length).join(' '),
          'the final after flush()',
        );
      } finally {
        await stream.close();
      }
    },
  ),
  check(
    'close-mid-stream',
    'close() mid-stream returns promptly and ends the upstream connection',
    30_000,
    async (options, session) => {
      const model = await streamingModel(session);
      await prepare(options, session, FIXTURE_UTTERANCES);
      const stream = model.stream();
      const reading = (async () => {
        for await (const _ of stream);
      })().catch(() => {});
      for (const frame of fixtureFrames(20, 0, 1.5)) await stream.write(frame);
      await eventually(
        'the service sees the stream connected',
        () => session.service.openConnections() > 0,
      );
      await returnsPromptly('close() mid-stream', stream.close());
      await returnsPromptly('the reader after close()', reading);
      await eventually(
        'the upstream connection ends after close()',
        () => session.service.openConnections() === 0,
      );
    },
  ),
  check(
    'break-mid-stream',
    '`break` out of for-await returns promptly and ends the upstream connection',
    30_000,
    async (options, session) => {
      const model = await streamingModel(session);
      await prepare(options, session, FIXTURE_UTTERANCES);
      const stream = model.stream();
      let feeding = true;
      const feeder = (async () => {
        for (const frame of fixtureFrames()) {
          if (!feeding) return;
          await stream.write(frame);
        }
      })().catch(() => {});
      await returnsPromptly(
        'the first event, then `break`',
        async () => {
          for await (const _ of stream) break;
        },
        15_000,
      );
      feeding = false;
      await returnsPromptly('writes after `break`', feeder);
      await eventually(
        'the upstream connection ends after `break`',
        () => session.service.openConnections() === 0,
      );
    },
  ),
  check(
    'server-error',
    'a 5xx is an APIStatusError with retryable true',
    60_000,
    async (_options, session) => {
      const model = await session.model();
      control(session, 'failNext')(503, 1000);
      const error = model.capabilities.streaming
        ? (await drive(model.stream(), fixtureFrames(20, 0, 1))).error
        : await rejection(model.recognize(firstUtterance()), 'recognize() against a 503');
      if (!error)
        throw new AssertionError({
          message: 'a stream against a service answering 503 ended without an error',
        });
      assertAPIError(error, { kind: 'status', status: 503, retryable: true }, 'a 503');
    },
  ),
  check(
    'client-error',
    'a 4xx (400) is an APIStatusError with retryable false',
    30_000,
    async (_options, session) => {
      const model = await session.model();
      control(session, 'failNext')(400, 1000);
      const error = await returnsPromptly(
        'the failure after a 400',
        async () =>
          model.capabilities.streaming
            ? (await drive(model.stream(), fixtureFrames(20, 0, 1))).error
            : await rejection(model.recognize(firstUtterance()), 'recognize() against a 400'),
        10_000,
      );
      if (!error)
        throw new AssertionError({
          message: 'a stream against a service answering 400 ended without an error',
        });
      assertAPIError(error, { kind: 'status', status: 400, retryable: false }, 'a 400');
    },
  ),
  check(
    'reconnect',
    'after the connection drops, transcripts still arrive',
    60_000,
    async (options, session) => {
      const model = await session.model();
      if (!model.capabilities.streaming) {
        await prepare(options, session, FIXTURE_UTTERANCES.slice(0, 1));
        await model.recognize(firstUtterance());
        await control(session, 'dropConnections')();
        await prepare(options, session, FIXTURE_UTTERANCES.slice(0, 1));
        const event = await model.recognize(firstUtterance());
        assertSaid(
          event.alternatives[0]?.text ?? '',
          FIXTURE_UTTERANCES[0]!,
          'recognize() after a drop',
        );
        return;
      }
      // Scripts for the replayed audio too: a reconnecting plugin may send some audio again.
      await prepare(options, session, [...FIXTURE_UTTERANCES, ...FIXTURE_UTTERANCES]);
      let finalsAfterDrop = 0;
      let dropped = false;
      const frames = fixtureFrames();
      const dropAt = Math.round(frames.length / 2);
      let sent = 0;
      const run = await drive(model.stream(), frames, {
        beforeFrame: async () => {
          if (sent++ === dropAt) {
            await control(session, 'dropConnections')();
            dropped = true;
          }
        },
        onEvent: (event) => {
          if (dropped && event.type === T.FINAL_TRANSCRIPT) finalsAfterDrop++;
        },
      });
      if (run.error) throw run.error;
      if (finalsAfterDrop === 0) {
        throw new AssertionError({
          message: `no FINAL_TRANSCRIPT after the connection dropped; events: ${run.events.map((e) => e.type).join(', ')}`,
        });
      }
      const said = run.events
        .filter((e) => e.type === T.FINAL_TRANSCRIPT)
        .map((e) => e.alternatives[0]?.text)
        .join(' ');
      assertSaid(
        said.split(/\s+/).slice(-FIXTURE_UTTERANCES[2]!.split(' ').length).join(' '),
        FIXTURE_UTTERANCES[2]!,
        'the last final after a drop',
      );
    },
  ),
  check(
    'bad-key',
    'a refused key is an APIStatusError 401/403, not retryable, promptly',
    30_000,
    async (_options, session) => {
      const model = await session.modelWithBadKey();
      const error = await returnsPromptly(
        'the failure with a bad key',
        async () =>
          model.capabilities.streaming
            ? (await drive(model.stream(), fixtureFrames(20, 0, 1))).error
            : await rejection(model.recognize(firstUtterance()), 'recognize() with a bad key'),
        10_000,
      );
      if (!error)
        throw new AssertionError({ message: 'a stream with a bad key ended without an error' });
      assertAPIError(error, { kind: 'status', status: [401, 403], retryable: false }, 'a bad key');
    },
  ),
  check(
    'long-stream',
    `${LONG_STREAM_MINUTES} minutes of audio fed fast, with flat memory`,
    240_000,
    async (options, session) => {
      const model = await session.model();
      const loops = longSpeechLoops(LONG_STREAM_MINUTES);
      const sampler = new MemorySampler();
      if (!model.capabilities.streaming) {
        const frames = fixtureFrames();
        for (let loop = 0; loop < loops; loop++) {
          sampler.progress(loop / loops);
          await sampler.settled();
          await prepare(options, session, FIXTURE_UTTERANCES);
          await model.recognize(frames);
        }
        sampler.progress(1);
      } else {
        // Not prepared: the words do not matter here, and scripting hundreds of
        // transcripts slows our Deepgram stand-in below the feeding rate.
        let finals = 0;
        const run = await drive(
          model.stream(),
          longSpeech(LONG_STREAM_MINUTES, (f) => sampler.progress(f)),
          {
            beforeFrame: () => sampler.settled(),
            onEvent: (event) => void (event.type === T.FINAL_TRANSCRIPT && finals++),
          },
        );
        if (run.error) throw run.error;
        if (finals < loops) {
          throw new AssertionError({
            message: `${finals} finals for ${loops * FIXTURE_UTTERANCES.length} utterances`,
          });
        }
      }
      await sampler.assertFlat(`${LONG_STREAM_MINUTES} minutes of audio`, LONG_STREAM_GROWTH_MB);
    },
  ),
  check(
    'metrics',
    'metrics_collected reports sane STT metrics',
    30_000,
    async (options, session) => {
      const model = await session.model();
      const seen: metrics.AgentMetrics[] = [];
      const listener = (m: metrics.AgentMetrics) => void seen.push(m);
      model.on('metrics_collected', listener as never);
      try {
        await prepare(options, session, FIXTURE_UTTERANCES);
        if (model.capabilities.streaming) {
          const run = await drive(model.stream(), fixtureFrames());
          if (run.error) throw run.error;
        } else {
          await model.recognize(fixtureFrames());
        }
      } finally {
        model.off('metrics_collected', listener as never);
      }
      assertSTTMetrics(seen, model.label);
    },
  ),
  check(
    'nothing-left',
    'nothing is left running after the stream and the model are closed',
    30_000,
    async (options, session) => {
      const leaks = new LeakCheck();
      const model = await session.model();
      leaks.watch('the model', model);
      await prepare(options, session, FIXTURE_UTTERANCES);
      if (model.capabilities.streaming) {
        const run = await drive(model.stream(), fixtureFrames());
        if (run.error) throw run.error;
      } else {
        await model.recognize(fixtureFrames());
      }
      await returnsPromptly('model.close()', model.close());
      await leaks.assertNothingLeft('after close()');
    },
  ),
  registrationCheck<STTConformanceOptions>(),
];

/** Every STT metric is sane; at least one was reported. */
export function assertSTTMetrics(seen: readonly metrics.AgentMetrics[], label: string): void {
  const sttMetrics = seen.filter((m): m is metrics.STTMetrics => m.type === 'stt');
  if (sttMetrics.length === 0) {
    throw new AssertionError({
      message: `no 'stt' metrics_collected event (saw: ${seen.map((m) => m.type).join(', ') || 'none'})`,
    });
  }
  for (const m of sttMetrics) {
    const bad = (why: string) =>
      new AssertionError({ message: `stt metrics ${JSON.stringify(m)}: ${why}` });
    if (!m.label || m.label !== label) throw bad(`label should be the model's (${label})`);
    if (!(Number.isFinite(m.durationMs) && m.durationMs >= 0)) throw bad('durationMs must be ≥ 0');
    if (!(Number.isFinite(m.audioDurationMs) && m.audioDurationMs >= 0))
      throw bad('audioDurationMs must be ≥ 0');
    if (m.latencyToFinalMs !== undefined && !(m.latencyToFinalMs >= 0))
      throw bad('latencyToFinalMs must be ≥ 0');
    if (!(Math.abs(m.timestamp - Date.now()) < 3_600_000))
      throw bad('timestamp must be ms since the epoch, now');
  }
}

/** The STT suite: one test per check, for `options.create`'s model against `options.service`. */
export function describeSTTConformance(options: STTConformanceOptions): void {
  describeConformance(`${options.name}: STT conformance`, sttChecks, options);
}
