import { audio, vad } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VAD } from '../src/index.js';
import { detect, framesOf, ofType, readFixture, speechSegments } from './helpers.js';

const { START_OF_SPEECH, END_OF_SPEECH } = vad.VADEventType;
const WINDOW = 0.032;

let silero: VAD;
beforeAll(async () => {
  silero = await VAD.load();
});
afterAll(async () => {
  await silero.close();
});

/** The same audio at `rate`, mono, through rtc-node's resampler (core's AudioConverter). */
function convertedTo(frame: AudioFrame, rate: number): AudioFrame {
  using converter = new audio.AudioConverter({ sampleRate: rate, numChannels: 1 });
  return audio.combineFrames([...converter.push(frame), ...converter.flush()]);
}

describe('48 kHz input (decimated in the plugin) against the same audio at 16 kHz', () => {
  it('finds the same utterances, their edges within one window', async () => {
    const input = readFixture('speech-48k-stereo');
    const at48 = await detect(silero.stream(), framesOf(input, 10));
    const at16 = await detect(silero.stream(), framesOf(convertedTo(input, 16_000), 10));
    const found = speechSegments(at48);
    const reference = speechSegments(at16);
    expect(found).toHaveLength(reference.length);
    found.forEach(([start, end], i) => {
      expect(Math.abs(start - reference[i]![0]), `start ${i}`).toBeLessThanOrEqual(WINDOW + 1e-9);
      expect(Math.abs(end - reference[i]![1]), `end ${i}`).toBeLessThanOrEqual(WINDOW + 1e-9);
    });
    // The events' own times too: each edge within a window of its counterpart.
    for (const type of [START_OF_SPEECH, END_OF_SPEECH]) {
      const times = ofType(at48, type).map((e) => e.timestamp);
      const expected = ofType(at16, type).map((e) => e.timestamp);
      expect(times).toHaveLength(expected.length);
      times.forEach((t, i) => {
        expect(Math.abs(t - expected[i]!)).toBeLessThanOrEqual(WINDOW + 1e-9);
      });
    }
  });

  it('gives nearly the probabilities of the 16 kHz audio, window by window', async () => {
    const input = readFixture('speech-48k-stereo');
    const probabilities = async (frames: AudioFrame[]) =>
      ofType(await detect(silero.stream(), frames), vad.VADEventType.INFERENCE_DONE).map(
        (e) => e.probability,
      );
    const at48 = await probabilities(framesOf(input, 10));
    const at16 = await probabilities(framesOf(convertedTo(input, 16_000), 10));
    expect(at48).toHaveLength(at16.length);
    // Two different low-pass filters: the probabilities differ a little, never a lot; a delay
    // or a gain error of the decimator would move them at every edge of speech.
    const differences = at48.map((p, i) => Math.abs(p - at16[i]!)).sort((a, b) => a - b);
    expect(differences[Math.floor(differences.length / 2)]).toBeLessThan(0.01);
    expect(differences.at(-1)).toBeLessThan(0.25);
  });
});
