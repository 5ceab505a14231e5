import { AssertionError } from 'node:assert';
import type { metrics, tts } from '@agents/core';
import { assertAPIError, rejection } from './errors.js';
import { MemorySampler } from './memory.js';
import { LeakCheck } from './resources.js';
import { skipCheck } from './runner.js';
import { eventually, returnsPromptly } from './timing.js';
import {
  AUDIO_WAIT_MS,
  readChunked,
  readSegments,
  TTS_LONG_TEXT,
  TTS_TEXTS,
  withTTS,
} from './tts-read.js';
import { assertRequestsEnded } from './tts-stream-checks.js';
import type { ConformanceCheck, TTSConformanceOptions } from './types.js';

type Check = ConformanceCheck<TTSConformanceOptions>;

/** At least this much audio goes through the long-stream check. */
export const LONG_STREAM_SECONDS = 600;
/**
 * Memory the long run may gain between 10 % and 90 %: far less than the audio
 * it moves (10 minutes of 16 kHz mono is 19 MB), so holding on to frames fails.
 */
export const LONG_STREAM_GROWTH_MB = 8;

export const chunkedAudioCheck: Check = {
  id: 'chunked-audio',
  title: 'synthesize(): frames at the declared sample rate and channels, audio for every text',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await session.model();
      const lengths: number[] = [];
      for (const text of TTS_TEXTS) {
        const what = `synthesize(${JSON.stringify(text)})`;
        const { seconds, frames } = await readChunked(model.synthesize(text), model, what);
        if (frames === 0) throw new AssertionError({ message: `${what} gave no audio` });
        lengths.push(seconds);
      }
      // Longer text, longer speech: each request spoke its own text.
      const [short, long, middle] = lengths as [number, number, number];
      if (!(short < middle && middle < long)) {
        throw new AssertionError({
          message: `synthesize(): audio lengths ${lengths.map((s) => s.toFixed(2)).join(', ')} s do not follow the texts' lengths`,
        });
      }
    }),
};

export const chunkedCloseCheck: Check = {
  id: 'chunked-close',
  title: 'synthesize(): `break` and close() mid-audio return promptly and end the request',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await session.model();
      const broken = model.synthesize(TTS_LONG_TEXT);
      await returnsPromptly('the first frame', broken.next(), AUDIO_WAIT_MS);
      await returnsPromptly('`break` out of for await', async () => {
        for await (const _audio of broken) break;
      });
      await assertRequestsEnded(session.service, '`break` out of synthesize()');
      const closed = model.synthesize(TTS_LONG_TEXT);
      await returnsPromptly('the first frame', closed.next(), AUDIO_WAIT_MS);
      await returnsPromptly('close() mid-audio', closed.close());
      if (!(await closed.next()).done) {
        throw new AssertionError({ message: 'synthesize() gave a frame after close()' });
      }
      await assertRequestsEnded(session.service, 'close() of synthesize()');
    }),
};

function errorCheck(id: string, status: number, how: 'chunked' | 'stream'): Check {
  const retryable = status >= 500;
  return {
    id,
    title:
      `${how === 'chunked' ? 'synthesize()' : 'stream()'}: an HTTP ${status} fails with an ` +
      `APIStatusError, retryable: ${retryable}`,
    timeoutMs: 90_000,
    run: (options) =>
      withTTS(options, async (session) => {
        const { service } = session;
        if (!service.failNext) skipCheck('the service cannot fail on demand (no failNext)');
        const model = await session.model();
        if (how === 'stream' && !model.capabilities.streaming) skipCheck('the TTS does not stream');
        // More failures than any sane retry budget: the error must reach the caller.
        service.failNext(status, 50);
        const what = `${how === 'chunked' ? 'synthesize()' : 'stream()'} against HTTP ${status}`;
        let reading: Promise<unknown>;
        if (how === 'chunked') {
          reading = readChunked(model.synthesize(TTS_TEXTS[0] as string), model, what);
        } else {
          const stream = model.stream();
          stream.pushText(TTS_TEXTS[0] as string);
          stream.endInput();
          reading = readSegments(stream, model, { what });
        }
        const error = await returnsPromptly(what, rejection(reading, what), 60_000);
        assertAPIError(error, { kind: 'status', status, retryable }, what);
      }),
  };
}

export const badKeyCheck: Check = {
  id: 'bad-key',
  title: 'a refused key fails promptly with a 401/403 APIStatusError, not retryable',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await session.modelWithBadKey();
      const expected = { kind: 'status', status: [401, 403], retryable: false } as const;
      // Promptly: a key does not get better with retries.
      const chunked = readChunked(model.synthesize(TTS_TEXTS[0] as string), model, 'bad key');
      const error = await returnsPromptly(
        'synthesize() with a bad key',
        rejection(chunked, 'synthesize() with a bad key'),
        10_000,
      );
      assertAPIError(error, expected, 'synthesize() with a bad key');
      if (!model.capabilities.streaming) return;
      const stream = model.stream();
      stream.pushText(TTS_TEXTS[0] as string);
      stream.endInput();
      const streamed = readSegments(stream, model, { what: 'stream() with a bad key' });
      const streamError = await returnsPromptly(
        'stream() with a bad key',
        rejection(streamed, 'stream() with a bad key'),
        10_000,
      );
      assertAPIError(streamError, expected, 'stream() with a bad key');
    }),
};

function ttsMetrics(model: tts.TTS): metrics.TTSMetrics[] {
  const seen: metrics.TTSMetrics[] = [];
  model.on('metrics_collected', (m) => {
    if (m.type === 'tts') seen.push(m);
  });
  return seen;
}

function assertSaneMetrics(m: metrics.TTSMetrics, model: tts.TTS, seconds: number, what: string) {
  const problems: string[] = [];
  if (m.label !== model.label) problems.push(`label ${m.label}, not ${model.label}`);
  if (!(m.ttfbMs >= 0)) problems.push(`ttfbMs ${m.ttfbMs} (must be >= 0 once audio came)`);
  if (!(m.durationMs >= m.ttfbMs)) problems.push(`durationMs ${m.durationMs} < ttfbMs`);
  if (Math.abs(m.audioDurationMs - seconds * 1000) > 1 + seconds * 10) {
    problems.push(`audioDurationMs ${m.audioDurationMs}, but the frames hold ${seconds * 1000} ms`);
  }
  if (m.cancelled) problems.push('cancelled, though it ran to its end');
  if (!(m.characters > 0)) problems.push(`characters ${m.characters}`);
  if (problems.length > 0) {
    throw new AssertionError({ message: `${what}: metrics_collected ${problems.join('; ')}` });
  }
}

export const metricsCheck: Check = {
  id: 'metrics',
  title: 'metrics_collected: one per request or segment, ttfb >= 0, audio duration = the frames',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await session.model();
      const seen = ttsMetrics(model);
      const text = TTS_TEXTS[1] as string;
      const { seconds } = await readChunked(model.synthesize(text), model, 'synthesize()');
      await eventually('metrics_collected after synthesize()', () => seen.length >= 1);
      if (seen.length !== 1) {
        throw new AssertionError({ message: `${seen.length} TTS metrics for one synthesize()` });
      }
      assertSaneMetrics(seen[0] as metrics.TTSMetrics, model, seconds, 'synthesize()');
      if (!model.capabilities.streaming) return;
      seen.length = 0;
      const stream = model.stream();
      stream.pushText(TTS_TEXTS[0] as string);
      stream.flush();
      stream.pushText(text);
      stream.endInput();
      const segments = await readSegments(stream, model, { what: 'stream()' });
      await eventually('metrics_collected per segment', () => seen.length >= segments.length);
      if (seen.length !== segments.length) {
        throw new AssertionError({
          message: `${seen.length} TTS metrics for ${segments.length} stream segments`,
        });
      }
      for (const [index, m] of seen.entries()) {
        const segment = segments[index] as { seconds: number };
        assertSaneMetrics(m, model, segment.seconds, `stream() segment ${index}`);
      }
    }),
};

export const longStreamCheck: Check = {
  id: 'long-stream',
  title: `over ${LONG_STREAM_SECONDS / 60} minutes of audio, consumed fast, with flat memory`,
  timeoutMs: 300_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await session.model();
      const sampler = new MemorySampler();
      const stream = model.capabilities.streaming ? model.stream() : undefined;
      let seconds = 0;
      for (let round = 0; seconds < LONG_STREAM_SECONDS; round++) {
        const what = `long run, request ${round} (${seconds.toFixed(0)} s so far)`;
        if (stream) {
          stream.pushText(TTS_LONG_TEXT);
          stream.flush();
          for (const s of await readSegments(stream, model, { segments: 1, what })) {
            seconds += s.seconds;
          }
        } else {
          seconds += (await readChunked(model.synthesize(TTS_LONG_TEXT), model, what)).seconds;
        }
        if (round === 0 && seconds < 1) {
          throw new AssertionError({ message: `${what}: under a second of audio per request` });
        }
        sampler.progress(seconds / LONG_STREAM_SECONDS);
        await sampler.settled();
      }
      await stream?.close();
      await sampler.assertFlat(
        `${seconds.toFixed(0)} s of synthesized audio`,
        LONG_STREAM_GROWTH_MB,
      );
    }),
};

export const nothingLeftCheck: Check = {
  id: 'nothing-left',
  title: 'after close(): no sockets, timers or listeners left running',
  timeoutMs: 90_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const leaks = new LeakCheck();
      const model = await session.model();
      leaks.watch('tts', model);
      await readChunked(model.synthesize(TTS_TEXTS[0] as string), model, 'synthesize()');
      if (model.capabilities.streaming) {
        const stream = model.stream();
        stream.pushText(TTS_TEXTS[0] as string);
        stream.endInput();
        await readSegments(stream, model, { what: 'stream()' });
        const cut = model.stream();
        cut.pushText(TTS_LONG_TEXT);
        cut.flush();
        await returnsPromptly('the first event', cut.next(), AUDIO_WAIT_MS);
        await cut.close();
      }
      await returnsPromptly('tts.close()', model.close());
      await eventually(
        'connections to the service after tts.close()',
        () => session.service.openConnections() === 0,
      );
      // Generous: HTTP keep-alive sockets of the runtime's pool close on their own timer.
      await leaks.assertNothingLeft('after tts.close()', 15_000);
    }),
};

export const errorChecks: Check[] = [
  errorCheck('error-retryable', 500, 'chunked'),
  errorCheck('error-permanent', 400, 'chunked'),
  errorCheck('stream-error-retryable', 503, 'stream'),
];
