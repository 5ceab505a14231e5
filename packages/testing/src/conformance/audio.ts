import { readFileSync } from 'node:fs';
import { audio } from '@agents/core';
import { AudioFrame } from '@livekit/rtc-node';

/**
 * The kit's speech: three sentences spoken by espeak-ng at 16 kHz mono, with
 * silences of known length between them (made by plugins/silero's
 * fixtures/generate.sh). A stand-in scripts `FIXTURE_UTTERANCES` for the three
 * speech regions; a real service hears those words.
 */
const FIXTURE_URL = new URL('../../fixtures/conformance/speech-16k-mono.wav', import.meta.url);

/** What is said in the fixture, one entry per speech region, in order. */
export const FIXTURE_UTTERANCES: readonly string[] = Object.freeze([
  'The quick brown fox jumps.',
  'Please call me back.',
  'It will rain tomorrow.',
]);

/** `[start, end]` of each sentence, in seconds from the start of the fixture. */
export const FIXTURE_REGIONS: readonly (readonly [number, number])[] = Object.freeze([
  [0.6, 2.332187],
  [3.332187, 4.483812],
  [5.283812, 6.39575],
]);

let cached: AudioFrame | undefined;

/** The whole fixture as one frame (read once, then shared: do not write into its data). */
export function fixtureSpeech(): AudioFrame {
  cached ??= audio.decodeWav(readFileSync(FIXTURE_URL));
  return cached;
}

/** Seconds of audio in the fixture. */
export function fixtureSeconds(): number {
  const speech = fixtureSpeech();
  return speech.samplesPerChannel / speech.sampleRate;
}

/**
 * The fixture (or `[fromS, toS)` of it) in `frameMs` frames, as a room delivers
 * them. Each frame owns a copy of its samples, as live frames do, so a model
 * that keeps frames it should have let go shows in the memory checks.
 */
export function fixtureFrames(
  frameMs = 20,
  fromS = 0,
  toS = Number.POSITIVE_INFINITY,
): AudioFrame[] {
  const speech = fixtureSpeech();
  const per = Math.round((speech.sampleRate * frameMs) / 1000);
  const first = Math.round(fromS * speech.sampleRate);
  const last = Math.min(speech.samplesPerChannel, Math.round(toS * speech.sampleRate));
  const frames: AudioFrame[] = [];
  for (let at = first; at < last; at += per) {
    const end = Math.min(last, at + per);
    frames.push(new AudioFrame(speech.data.slice(at, end), speech.sampleRate, 1, end - at));
  }
  return frames;
}

/**
 * The fixture repeated until at least `minutes` of audio, as fresh 20 ms frames
 * made on demand (ten minutes of frames held at once would hide a leak).
 * `onProgress(fraction)` is called as each repetition starts.
 */
export function* longSpeech(
  minutes: number,
  onProgress?: (fraction: number) => void,
): Generator<AudioFrame, void, undefined> {
  const loops = Math.ceil((minutes * 60) / fixtureSeconds());
  for (let loop = 0; loop < loops; loop++) {
    onProgress?.(loop / loops);
    yield* fixtureFrames(20);
  }
  onProgress?.(1);
}

/** How many times `longSpeech(minutes)` repeats the fixture. */
export function longSpeechLoops(minutes: number): number {
  return Math.ceil((minutes * 60) / fixtureSeconds());
}
