import { AssertionError } from 'node:assert';
import { tts } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { type CheckSession, skipCheck, withSession } from './runner.js';
import { returnsPromptly } from './timing.js';
import type { ServiceControl, TTSConformanceOptions } from './types.js';

/** What the TTS checks speak, in lengths that differ enough to tell segments apart by their audio. */
export const TTS_TEXTS: readonly string[] = Object.freeze([
  'Hello there.',
  'The quick brown fox jumps over the lazy dog, and then it runs away into the woods.',
  'It will rain tomorrow, so bring a coat.',
]);

/** One segment of the long-stream check; spoken again and again. */
export const TTS_LONG_TEXT =
  'This is a long paragraph for the memory check. It goes on for a while, sentence after ' +
  'sentence, so that every request brings back several seconds of speech, and the whole ' +
  'run adds up to more than ten minutes of audio without taking ten minutes to produce.';

/** Every text the checks may speak: handed to `prepare` before each check. */
export const TTS_SPOKEN: readonly string[] = Object.freeze([...TTS_TEXTS, TTS_LONG_TEXT]);

/** How long the checks wait for a service's audio (a real one may be slow). */
export const AUDIO_WAIT_MS = 30_000;

/** A fresh service (prepared with TTS_SPOKEN) for the body; everything is closed after it. */
export function withTTS(
  options: TTSConformanceOptions,
  body: (session: CheckSession<tts.TTS>) => Promise<void>,
): Promise<void> {
  return withSession(options, async (session) => {
    await options.prepare?.(session.service, TTS_SPOKEN);
    await body(session);
  });
}

/** A model from the session; skips the check when the TTS cannot stream. */
export async function streamingModel(session: CheckSession<tts.TTS>): Promise<tts.TTS> {
  const model = await session.model();
  if (!model.capabilities.streaming) skipCheck('the TTS does not stream (capabilities.streaming)');
  return model;
}

export function openRequests(service: ServiceControl): number {
  return service.openRequests?.() ?? service.openConnections();
}

export function frameSeconds(frame: AudioFrame): number {
  return frame.samplesPerChannel / frame.sampleRate;
}

/** Throws unless `frame` is non-empty audio at the TTS's declared rate and channel count. */
export function assertFrameFormat(frame: AudioFrame, model: tts.TTS, what: string): void {
  const problems: string[] = [];
  if (frame.sampleRate !== model.sampleRate) {
    problems.push(`sample rate ${frame.sampleRate}, declared ${model.sampleRate}`);
  }
  if (frame.channels !== model.numChannels) {
    problems.push(`${frame.channels} channels, declared ${model.numChannels}`);
  }
  if (!(frame.samplesPerChannel > 0)) problems.push('no samples');
  if (frame.data.length !== frame.samplesPerChannel * frame.channels) {
    problems.push(
      `${frame.data.length} samples of data for ${frame.samplesPerChannel} × ${frame.channels}`,
    );
  }
  if (problems.length > 0) {
    throw new AssertionError({ message: `${what}: a frame has ${problems.join(', ')}` });
  }
}

export interface SpokenSegment {
  segmentId: string;
  seconds: number;
  frames: number;
  words: tts.TimedWord[];
}

/**
 * Reads a SynthesizeStream's events, checking their order as it goes: STARTED,
 * AUDIO of that segment, FINISHED of that segment, and so on. Stops after
 * `segments` segments (the stream stays open) or at the stream's end.
 * `keepFrames` is off for the long run, which must not hold its audio.
 */
export async function readSegments(
  stream: tts.SynthesizeStream,
  model: tts.TTS,
  options: { segments?: number; what: string; onFrame?: (frame: AudioFrame) => void },
): Promise<SpokenSegment[]> {
  const { what } = options;
  const done: SpokenSegment[] = [];
  let open: SpokenSegment | undefined;
  const fail = (message: string): never => {
    throw new AssertionError({ message: `${what}: ${message}` });
  };
  while (options.segments === undefined || done.length < options.segments) {
    const next = await returnsPromptly(
      `${what}: the next event (after ${done.length} finished segments)`,
      stream.next(),
      AUDIO_WAIT_MS,
    );
    if (next.done) break;
    const event = next.value;
    if (event.type === tts.SynthesisEventType.STARTED) {
      if (open) fail(`STARTED of ${event.segmentId} while ${open.segmentId} was not FINISHED`);
      open = { segmentId: event.segmentId, seconds: 0, frames: 0, words: [] };
    } else if (event.type === tts.SynthesisEventType.AUDIO) {
      const { audio } = event;
      if (!open) return fail('AUDIO outside a segment (no STARTED before it)');
      if (audio.segmentId !== open.segmentId) {
        fail(`AUDIO of segment ${audio.segmentId} inside segment ${open.segmentId}`);
      }
      assertFrameFormat(audio.frame, model, what);
      open.seconds += frameSeconds(audio.frame);
      open.frames += 1;
      open.words.push(...(audio.words ?? []));
      options.onFrame?.(audio.frame);
    } else {
      if (!open) return fail(`FINISHED of ${event.segmentId} without STARTED`);
      if (event.segmentId !== open.segmentId) {
        fail(`FINISHED of ${event.segmentId} while ${open.segmentId} was open`);
      }
      open.words.push(...(event.words ?? []));
      done.push(open);
      open = undefined;
    }
  }
  if (open) fail(`the stream ended inside segment ${open.segmentId} (no FINISHED)`);
  return done;
}

/** Pushes `text` in pieces of 1, 2, 3, 1, 2, 3... characters, as an LLM's tokens might come. */
export function pushInFragments(stream: tts.SynthesizeStream, text: string): void {
  let size = 1;
  for (let at = 0; at < text.length; at += size, size = (size % 3) + 1) {
    stream.pushText(text.slice(at, at + size));
  }
}

/** Throws unless `seconds` is within a factor of `expected`: one TTS speaks a text about as long each time. */
export function assertSimilarLength(
  seconds: number,
  expected: number,
  what: string,
  factor = 1.3,
): void {
  if (!(seconds >= expected / factor && seconds <= expected * factor)) {
    throw new AssertionError({
      message:
        `${what}: ${seconds.toFixed(3)} s of audio, expected about ${expected.toFixed(3)} s ` +
        `(within ×${factor})`,
    });
  }
}

/** Reads a ChunkedStream to its end: seconds of audio, frames checked. */
export async function readChunked(
  stream: tts.ChunkedStream,
  model: tts.TTS,
  what: string,
): Promise<{ seconds: number; frames: number }> {
  let seconds = 0;
  let frames = 0;
  for (;;) {
    const next = await returnsPromptly(`${what}: the next frame`, stream.next(), AUDIO_WAIT_MS);
    if (next.done) break;
    assertFrameFormat(next.value.frame, model, what);
    seconds += frameSeconds(next.value.frame);
    frames += 1;
  }
  return { seconds, frames };
}
