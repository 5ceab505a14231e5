import { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { tokenize, voice } from '../src/index.js';

const RATE = 24_000;
function audio(
  ms: number,
  deltaText = '',
  words?: { text: string; startTime: number; endTime: number }[],
) {
  const samples = (RATE * ms) / 1000;
  const frame = new AudioFrame(new Int16Array(samples), RATE, 1, samples);
  return { requestId: 'r', segmentId: 's', frame, deltaText, words };
}

const options = { hyphenateWord: tokenize.hyphenateWord, transcriptionSpeed: 3.83 };

describe('heard text', () => {
  it('keeps whole sentences played and interpolates inside one by syllables', () => {
    const a = new voice.Alignment(options);
    a.addAudio(audio(1000, 'One two three.'));
    a.addAudio(audio(1000, 'Four five six.'));
    a.markComplete();
    expect(a.heardText(0)).toBe('');
    expect(a.heardText(1.0)).toBe('One two three.');
    // 'Four' spans 1.0–1.33 s: heard once its middle (1.17 s) has played.
    expect(a.heardText(1.2)).toBe('One two three. Four');
    expect(a.heardText(2)).toBe('One two three. Four five six.');
  });

  it('uses the TTS word timings when given', () => {
    const a = new voice.Alignment(options);
    a.addAudio(
      audio(1000, 'Hello brave world', [
        { text: 'Hello', startTime: 0, endTime: 0.2 },
        { text: 'brave', startTime: 0.2, endTime: 0.9 },
        { text: 'world', startTime: 0.9, endTime: 1 },
      ]),
    );
    expect(a.heardText(0.5)).toBe('Hello');
    expect(a.heardText(0.6)).toBe('Hello brave');
  });
});
