import { AssertionError } from 'node:assert';
import { type tts, utils } from '@agents/core';
import { skipCheck } from './runner.js';
import { eventually, returnsPromptly } from './timing.js';
import {
  AUDIO_WAIT_MS,
  assertSimilarLength,
  openRequests,
  pushInFragments,
  readSegments,
  type SpokenSegment,
  streamingModel,
  TTS_LONG_TEXT,
  TTS_TEXTS,
  withTTS,
} from './tts-read.js';
import type { ConformanceCheck, ServiceControl, TTSConformanceOptions } from './types.js';

type Check = ConformanceCheck<TTSConformanceOptions>;

/** Segments come out in the order their texts went in: their lengths rank as the texts' do. */
function assertInTextOrder(segments: SpokenSegment[], texts: readonly string[], what: string) {
  if (segments.length !== texts.length) {
    throw new AssertionError({
      message:
        `${what}: ${segments.length} segments (STARTED…FINISHED) for ${texts.length} ` +
        'flushed texts: flush() must end exactly one segment',
    });
  }
  const rank = (values: number[]) =>
    values
      .map((value, index) => [value, index] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, index]) => index)
      .join(',');
  const byAudio = rank(segments.map((s) => s.seconds));
  const byText = rank(texts.map((t) => t.length));
  if (byAudio !== byText) {
    const seconds = segments.map((s) => s.seconds.toFixed(2)).join(', ');
    throw new AssertionError({
      message:
        `${what}: segments out of order: audio lengths ${seconds} s for texts of ` +
        `${texts.map((t) => t.length).join(', ')} characters`,
    });
  }
  for (const [index, segment] of segments.entries()) {
    if (segment.frames === 0) {
      throw new AssertionError({ message: `${what}: segment ${index} has no audio` });
    }
  }
}

/** Reads what is left after endInput(): no more segments, and the stream ends. */
async function readToEnd(stream: tts.SynthesizeStream, model: tts.TTS, what: string) {
  const rest = await readSegments(stream, model, { what });
  if (rest.length > 0) {
    throw new AssertionError({ message: `${what}: ${rest.length} unexpected extra segments` });
  }
}

export const streamSegmentsCheck: Check = {
  id: 'stream-segments',
  title: 'stream(): each flush() ends one segment (STARTED, AUDIO, FINISHED), one after another',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await streamingModel(session);
      const stream = model.stream();
      const segments: SpokenSegment[] = [];
      for (const [index, text] of TTS_TEXTS.entries()) {
        stream.pushText(text);
        stream.flush();
        const what = `segment ${index} (pushed whole, then flush())`;
        segments.push(...(await readSegments(stream, model, { segments: 1, what })));
      }
      stream.endInput();
      await readToEnd(stream, model, 'after endInput()');
      assertInTextOrder(segments, TTS_TEXTS, 'stream()');
    }),
};

export const streamFragmentsCheck: Check = {
  id: 'stream-fragments',
  title: 'stream(): text pushed 1 to 3 characters at a time is spoken as the whole text',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await streamingModel(session);
      const stream = model.stream();
      const text = TTS_TEXTS[1] as string;
      stream.pushText(text);
      stream.flush();
      const [whole] = await readSegments(stream, model, { segments: 1, what: 'whole text' });
      pushInFragments(stream, text);
      stream.flush();
      const [pieces] = await readSegments(stream, model, { segments: 1, what: 'fragments' });
      stream.endInput();
      await readToEnd(stream, model, 'after endInput()');
      if (!whole || !pieces || whole.frames === 0 || pieces.frames === 0) {
        throw new AssertionError({ message: 'stream(): a segment came without audio' });
      }
      assertSimilarLength(
        pieces.seconds,
        whole.seconds,
        'the text pushed in 1–3 character fragments, against the same text pushed whole',
        1.15,
      );
    }),
};

export const streamInterleavedCheck: Check = {
  id: 'stream-interleaved',
  title: 'stream(): segments pushed and flushed before the first is spoken come out in order',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await streamingModel(session);
      const stream = model.stream();
      const [a, b, c] = TTS_TEXTS as [string, string, string];
      stream.pushText(a);
      stream.flush();
      pushInFragments(stream, b);
      stream.flush();
      stream.pushText(c);
      stream.flush();
      stream.endInput();
      const segments = await readSegments(stream, model, { what: 'interleaved segments' });
      assertInTextOrder(segments, TTS_TEXTS, 'three segments pushed at once');
    }),
};

/** Starts a long segment and resolves once its first audio is out. */
async function firstAudio(stream: tts.SynthesizeStream): Promise<void> {
  stream.pushText(TTS_LONG_TEXT);
  stream.flush();
  for (;;) {
    const next = await returnsPromptly('the first audio', stream.next(), AUDIO_WAIT_MS);
    if (next.done) throw new AssertionError({ message: 'the stream ended without audio' });
    if (next.value.type === 'audio') return;
  }
}

export async function assertRequestsEnded(service: ServiceControl, how: string): Promise<void> {
  await eventually(
    `after ${how}, the service still has ${openRequests(service)} request(s) open`,
    () => openRequests(service) === 0,
  );
}

export const streamCloseCheck: Check = {
  id: 'stream-close',
  title: 'stream(): close() mid-segment returns promptly and the service sees the request end',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await streamingModel(session);
      const stream = model.stream();
      await firstAudio(stream);
      await returnsPromptly('close() mid-segment', stream.close());
      const after = await returnsPromptly('next() after close()', stream.next());
      if (!after.done) {
        throw new AssertionError({ message: 'the stream gave an event after close()' });
      }
      await assertRequestsEnded(session.service, 'close()');
    }),
};

export const streamBreakCheck: Check = {
  id: 'stream-break',
  title: 'stream(): `break` out of for-await mid-segment returns promptly and ends the request',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await streamingModel(session);
      const stream = model.stream();
      await firstAudio(stream);
      await returnsPromptly('`break` out of for await', async () => {
        for await (const _event of stream) break;
      });
      // The input side is closed with the stream: pushing now must throw, not queue.
      let pushed = true;
      try {
        stream.pushText('more');
      } catch (error) {
        pushed = !(error instanceof utils.StreamClosedError);
      }
      if (pushed) {
        throw new AssertionError({
          message: 'pushText() after `break` did not throw a StreamClosedError',
        });
      }
      await assertRequestsEnded(session.service, '`break`');
    }),
};

export const streamReconnectCheck: Check = {
  id: 'stream-reconnect',
  title: 'stream(): after the connection drops between segments, the next segment is spoken',
  timeoutMs: 60_000,
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await streamingModel(session);
      const { service } = session;
      if (!service.dropConnections) {
        skipCheck('the service cannot drop connections (no dropConnections)');
      }
      const stream = model.stream();
      stream.pushText(TTS_TEXTS[0] as string);
      stream.flush();
      await readSegments(stream, model, { segments: 1, what: 'before the drop' });
      await service.dropConnections?.();
      stream.pushText(TTS_TEXTS[2] as string);
      stream.flush();
      stream.endInput();
      const after = await readSegments(stream, model, { what: 'after the drop' });
      if (after.length !== 1 || (after[0]?.frames ?? 0) === 0) {
        throw new AssertionError({
          message: `after a dropped connection, ${after.length} segments with audio (expected 1)`,
        });
      }
      // A new stream on the same TTS works too.
      const again = model.stream();
      again.pushText(TTS_TEXTS[0] as string);
      again.endInput();
      const segments = await readSegments(again, model, { what: 'a new stream after the drop' });
      if (segments.length !== 1) {
        throw new AssertionError({ message: 'a new stream after the drop spoke no segment' });
      }
    }),
};

export const wordTimingsCheck: Check = {
  id: 'word-timings',
  title: 'stream(): word timings are in order and inside the segment audio',
  timeoutMs: 60_000,
  skipIf: (options) => (options.wordTimings ? undefined : 'wordTimings is not declared'),
  run: (options) =>
    withTTS(options, async (session) => {
      const model = await streamingModel(session);
      const stream = model.stream();
      const text = TTS_TEXTS[1] as string;
      pushInFragments(stream, text);
      stream.endInput();
      const [segment] = await readSegments(stream, model, { what: 'word timings' });
      const words = segment?.words ?? [];
      const normal = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');
      if (normal(words.map((w) => w.text).join('')) !== normal(text)) {
        throw new AssertionError({
          message: `the timed words ${JSON.stringify(words.map((w) => w.text).join(' '))} do not spell ${JSON.stringify(text)}`,
        });
      }
      const seconds = segment?.seconds ?? 0;
      // One frame of slack: timings come from the provider, audio is cut into frames.
      const slack = 0.05;
      let previousStart = 0;
      for (const word of words) {
        const ok =
          word.startTime >= previousStart &&
          word.endTime >= word.startTime &&
          word.endTime <= seconds + slack;
        if (!ok) {
          throw new AssertionError({
            message:
              `word ${JSON.stringify(word.text)} at ${word.startTime}–${word.endTime} s: timings must ` +
              `not go back (previous start ${previousStart} s) and must lie inside the ${seconds.toFixed(3)} s of audio`,
          });
        }
        previousStart = word.startTime;
      }
    }),
};
