import { tts } from '@agents/core';
import { ElevenLabsStandIn, type ElevenLabsStandInOptions, scaledMs } from '@agents/testing';
import { TTS } from '../src/index.js';
import type { TTSOptions } from '../src/options.js';

export const KEY = 'xi-test-key';

export interface SpokenSegment {
  segmentId: string;
  seconds: number;
  words: tts.TimedWord[];
  text: string;
}

/** Reads a stream to its end: per segment, its audio length, word timings and text. */
export async function readSegments(stream: tts.SynthesizeStream): Promise<SpokenSegment[]> {
  const segments: SpokenSegment[] = [];
  let current: SpokenSegment | undefined;
  for await (const event of stream) {
    if (event.type === tts.SynthesisEventType.STARTED) {
      current = { segmentId: event.segmentId, seconds: 0, words: [], text: '' };
    } else if (event.type === tts.SynthesisEventType.AUDIO) {
      const { frame, words, deltaText } = event.audio;
      current!.seconds += frame.samplesPerChannel / frame.sampleRate;
      current!.words.push(...(words ?? []));
      current!.text += deltaText;
    } else {
      current!.words.push(...(event.words ?? []));
      segments.push(current!);
      current = undefined;
    }
  }
  return segments;
}

/** The text the stand-in received for each context, in the order contexts were opened. */
export function textByContext(messages: unknown[]): Map<string, string> {
  const texts = new Map<string, string>();
  for (const message of messages as Record<string, unknown>[]) {
    const id = message.context_id;
    if (typeof id !== 'string' || typeof message.text !== 'string') continue;
    // The opening message's single space is protocol, not text.
    const opening = !texts.has(id) && message.text === ' ';
    texts.set(id, (texts.get(id) ?? '') + (opening ? '' : message.text));
  }
  return texts;
}

export async function setup(
  standIn: ElevenLabsStandInOptions = {},
  options: TTSOptions = {},
): Promise<{ el: ElevenLabsStandIn; model: TTS; [Symbol.asyncDispose](): Promise<void> }> {
  const el = await ElevenLabsStandIn.start({ apiKey: KEY, ...standIn });
  const model = new TTS({
    apiKey: KEY,
    baseURL: `${el.url}/v1`,
    connectOptions: { retryIntervalMs: 20, timeoutMs: scaledMs(5000) },
    ...options,
  });
  return {
    el,
    model,
    async [Symbol.asyncDispose]() {
      await model.close();
      await el.close();
    },
  };
}

/** Waits for `check` to hold, polling; fails after `timeoutMs` (scaled). */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = performance.now() + scaledMs(timeoutMs);
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Seconds of synthetic stand-in audio for `text`: 65 ms per character. */
export const syntheticSeconds = (text: string) => (text.length * 65) / 1000;
