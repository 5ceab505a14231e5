import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { audio, vad } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VAD } from '../src/index.js';
import { detect, framesOf, readFixture, regions } from './helpers.js';

const { START_OF_SPEECH, INFERENCE_DONE, END_OF_SPEECH } = vad.VADEventType;
const WINDOW = 0.032;
const MINUTES = 10;

// Measuring memory needs a real collection; this exposes gc() without a command-line flag.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const memory = () => {
  gc();
  return process.memoryUsage();
};

let silero: VAD;
beforeAll(async () => {
  silero = await VAD.load();
});
afterAll(async () => {
  await silero.close();
});

describe(`a ${MINUTES}-minute stream`, () => {
  it('keeps its buffers bounded, its memory flat and its events in order', async () => {
    const clip = readFixture('speech-48k-stereo');
    const clipFrames = framesOf(clip, 20);
    const clipSeconds = audio.frameDuration(clip);
    const loops = Math.ceil((MINUTES * 60) / clipSeconds);
    function* looped(): Generator<AudioFrame> {
      for (let i = 0; i < loops; i++) yield* clipFrames;
    }

    const stream = silero.stream();
    let inferences = 0;
    let lastTimestamp = 0;
    let speaking = false;
    let utterances = 0;
    let mostBuffered = 0;
    let mostFrames = 0;
    const memoryEachMinute: NodeJS.MemoryUsage[] = [];
    await detect(stream, looped(), (event) => {
      expect(event.timestamp).toBeGreaterThanOrEqual(lastTimestamp);
      lastTimestamp = event.timestamp;
      mostBuffered = Math.max(mostBuffered, stream.bufferedDuration);
      if (event.type === INFERENCE_DONE) {
        inferences += 1;
        // Exactly one per window, none skipped: the n-th ends at n windows.
        expect(Math.abs(event.timestamp - inferences * WINDOW)).toBeLessThan(1e-6);
        if (inferences % Math.round(60 / WINDOW) === 0) memoryEachMinute.push(memory());
      } else {
        // START and END alternate.
        expect(event.type).toBe(speaking ? END_OF_SPEECH : START_OF_SPEECH);
        speaking = !speaking;
        if (event.type === END_OF_SPEECH) utterances += 1;
        mostFrames = Math.max(mostFrames, audio.framesDuration(event.frames));
      }
    });
    const heap = memoryEachMinute.map((sample) => sample.heapUsed);
    const heapGrowth = heap.at(-1)! - heap[0]!;
    const mostArrayBuffers = Math.max(...memoryEachMinute.map((sample) => sample.arrayBuffers));

    expect(lastTimestamp).toBeGreaterThanOrEqual(MINUTES * 60);
    expect(inferences).toBe(Math.floor((loops * clipSeconds) / WINDOW));
    expect(utterances).toBe(loops * regions['speech-48k-stereo']!.speech.length);
    // Held audio never exceeds maxBufferedSpeech, and in fact stays near the longest
    // utterance plus padding: frames are let go between utterances.
    expect(mostBuffered).toBeLessThanOrEqual(silero.options.maxBufferedSpeech);
    expect(mostBuffered).toBeLessThan(2.5);
    expect(mostFrames).toBeLessThan(2.5);
    // Nine more minutes of audio cost the heap no more than a few hundred kilobytes.
    expect(heap).toHaveLength(MINUTES);
    expect(heapGrowth, `heap grew by ${(heapGrowth / 1024).toFixed(0)} KiB`).toBeLessThan(2 ** 20);
    // Buffers outside the heap (audio, tensors) come and go by a few megabytes as the
    // collector frees them in the background, without growing.
    expect(mostArrayBuffers).toBeLessThan(16 * 2 ** 20);
  }, 60_000);
});
