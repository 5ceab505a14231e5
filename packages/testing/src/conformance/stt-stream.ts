import { AssertionError } from 'node:assert';
import { stt } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { FIXTURE_UTTERANCES } from './audio.js';

const { SpeechEventType: T } = stt;

/** Lowercase words without punctuation: how transcripts are compared. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}' ]+/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Asserts that `text` has the words of `expected`, in order (case and punctuation aside). */
export function assertSaid(text: string, expected: string, what: string): void {
  const got = words(text).join(' ');
  const want = words(expected).join(' ');
  if (got !== want) {
    throw new AssertionError({
      message: `${what}: expected the words "${want}", got "${got}"`,
      actual: got,
      expected: want,
    });
  }
}

export interface StreamRun {
  events: stt.SpeechEvent[];
  /** What the stream's iteration threw, if it did. */
  error: unknown;
}

/**
 * Writes `frames` into `stream` (with backpressure) while reading its events
 * concurrently, then ends the input (unless `endInput` is false) and reads to
 * the end. A write refused because the stream ended stops the feeding; the
 * reason is what the iteration throws.
 */
export async function drive(
  stream: stt.SpeechStream,
  frames: Iterable<AudioFrame>,
  options: {
    endInput?: boolean;
    onEvent?: (event: stt.SpeechEvent) => void;
    beforeFrame?: () => Promise<void> | void;
  } = {},
): Promise<StreamRun> {
  const events: stt.SpeechEvent[] = [];
  let error: unknown;
  const reading = (async () => {
    try {
      for await (const event of stream) {
        events.push(event);
        options.onEvent?.(event);
      }
    } catch (caught) {
      error = caught;
    }
  })();
  try {
    for (const frame of frames) {
      await options.beforeFrame?.();
      await stream.write(frame);
    }
    if (options.endInput !== false) stream.endInput();
  } catch {
    // The stream ended (failed or closed): the reader has the reason.
  }
  await reading;
  return { events, error };
}

/**
 * Checks the promised order: per utterance START_OF_SPEECH, then interims,
 * then finals, then END_OF_SPEECH; transcripts only inside an utterance when
 * the plugin reports utterances at all; times and confidences in range.
 */
export function assertEventOrder(events: readonly stt.SpeechEvent[], audioSeconds: number): void {
  const reportsSpeech = events.some((e) => e.type === T.START_OF_SPEECH);
  let speaking = false;
  let finalsInUtterance = 0;
  let lastFinalEnd = -Infinity;
  const trace = () => events.map((e) => e.type).join(', ');
  const fail = (index: number, why: string): never => {
    throw new AssertionError({
      message: `event ${index} (${events[index]?.type}): ${why}; events: ${trace()}`,
    });
  };
  events.forEach((event, i) => {
    switch (event.type) {
      case T.START_OF_SPEECH:
        if (speaking) fail(i, 'a second START_OF_SPEECH before END_OF_SPEECH');
        speaking = true;
        finalsInUtterance = 0;
        break;
      case T.INTERIM_TRANSCRIPT:
      case T.FINAL_TRANSCRIPT: {
        if (reportsSpeech && !speaking)
          fail(i, 'a transcript outside START_OF_SPEECH … END_OF_SPEECH');
        const best = event.alternatives[0];
        if (!best) fail(i, 'a transcript without alternatives');
        else {
          if (!(best.startTime >= 0 && best.startTime <= best.endTime)) {
            fail(i, `times out of order: startTime ${best.startTime}, endTime ${best.endTime}`);
          }
          if (best.endTime > audioSeconds + 1)
            fail(i, `endTime ${best.endTime} s is past the ${audioSeconds} s of audio sent`);
          if (!(best.confidence >= 0 && best.confidence <= 1))
            fail(i, `confidence ${best.confidence} is not in [0, 1]`);
        }
        if (event.type === T.FINAL_TRANSCRIPT && best) {
          if (best.startTime < lastFinalEnd - 0.05)
            fail(
              i,
              `a final starting at ${best.startTime} s, before the previous final's end (${lastFinalEnd} s)`,
            );
          lastFinalEnd = best.endTime;
          finalsInUtterance++;
        }
        break;
      }
      case T.END_OF_SPEECH:
        if (!speaking) fail(i, 'END_OF_SPEECH without START_OF_SPEECH');
        if (finalsInUtterance === 0)
          fail(i, 'END_OF_SPEECH with no FINAL_TRANSCRIPT in the utterance');
        speaking = false;
        break;
      default:
        if ((event.type as string) === 'recognition_usage') {
          const duration = (event as { audioDuration?: unknown }).audioDuration;
          if (duration !== undefined && !(typeof duration === 'number' && duration >= 0)) {
            fail(i, `RECOGNITION_USAGE with audioDuration ${String(duration)}`);
          }
          break;
        }
        fail(i, `an event type that is not a stt.SpeechEventType`);
    }
  });
  if (speaking) fail(events.length - 1, 'the stream ended inside an utterance (no END_OF_SPEECH)');
}

/** The finals' words joined, against the fixture's (repeated `times`). */
export function assertFinalsSayFixture(
  events: readonly stt.SpeechEvent[],
  what: string,
  times = 1,
): void {
  const said = events
    .filter((e) => e.type === T.FINAL_TRANSCRIPT)
    .map((e) => e.alternatives[0]?.text ?? '')
    .join(' ');
  const expected = Array.from({ length: times }, () => FIXTURE_UTTERANCES.join(' ')).join(' ');
  assertSaid(said, expected, what);
}
