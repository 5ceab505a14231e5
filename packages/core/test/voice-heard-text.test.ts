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

describe('heard text: sentence joins, timings without punctuation, long replies', () => {
  it('keeps a space between sentences that come as separate chunks', () => {
    const a = new voice.Alignment(options);
    a.addAudio(audio(500, 'Hello.'));
    a.addAudio(audio(1000, 'How are you?'));
    a.markComplete();
    expect(a.heardText(1.5)).toBe('Hello. How are you?');
    expect(a.words().map((w) => w.text)).toEqual(['Hello.', 'How', 'are', 'you?']);
  });

  it('shows the text as written when the TTS times words without punctuation', () => {
    const a = new voice.Alignment(options);
    a.addAudio(
      audio(1200, 'Well, it costs $5. Okay?', [
        { text: 'well', startTime: 0, endTime: 0.2 },
        { text: 'it', startTime: 0.25, endTime: 0.3 },
        { text: 'costs', startTime: 0.3, endTime: 0.5 },
        { text: 'five', startTime: 0.5, endTime: 0.7 },
        { text: 'dollars', startTime: 0.7, endTime: 0.9 },
        { text: 'okay', startTime: 1.0, endTime: 1.2 },
      ]),
    );
    expect(a.heardText(0.45)).toBe('Well, it costs');
    // "$5" was spoken as two words the text does not have: it spans the gap up to "Okay?".
    expect(a.heardText(0.8)).toBe('Well, it costs $5.');
    expect(a.heardText(1.2)).toBe('Well, it costs $5. Okay?');
  });

  it('keeps its word list when timings arrive after words were already counted', () => {
    const a = new voice.Alignment(options);
    a.addAudio(audio(400, 'One two three four'));
    expect(a.heardCount(0.2)).toBeGreaterThan(0);
    a.addWords([
      { text: 'One', startTime: 0, endTime: 0.1 },
      { text: 'two', startTime: 0.1, endTime: 0.2 },
    ]);
    expect(a.words().map((w) => w.text)).toEqual(['One', 'two', 'three', 'four']);
    // Past the last timing a word waits for its own.
    expect(a.heardText(10)).toBe('One two');
    a.markComplete();
    expect(a.heardText(0.4)).toBe('One two three four');
  });

  it('paces the sentence still coming at the rate measured on the sentences before it', () => {
    const a = new voice.Alignment(options);
    // A slow voice: 3 syllables in 3 s, 1 syllable a second.
    a.addAudio(audio(3000, 'One two three.'));
    a.addAudio(audio(500, 'Four five six.'));
    // 500 ms received of a sentence that will take about 3 s: "four" ends near 4 s, not 3.2.
    expect(a.heardText(3.4)).toBe('One two three.');
    expect(a.heardText(3.6)).toBe('One two three. Four');
  });

  it('splits each word once and resumes counting, however often it is asked', () => {
    let hyphenations = 0;
    const counted = {
      ...options,
      hyphenateWord: (w: string) => {
        hyphenations++;
        return tokenize.hyphenateWord(w);
      },
    };
    const a = new voice.Alignment(counted);
    let heard = 0;
    for (let i = 0; i < 200; i++) {
      a.addAudio(audio(1000, `Sentence number ${i} is here.`));
      heard = a.heardCount(a.audioSeconds - 0.5, heard);
    }
    a.markComplete();
    expect(hyphenations).toBe(200 * 5);
    expect(a.heardCount(a.audioSeconds, heard)).toBe(1000);
  });
});
