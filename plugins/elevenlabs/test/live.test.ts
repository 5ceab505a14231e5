import { tts } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { TTS } from '../src/index.js';

// Calls the real service, at a small cost: runs only when ELEVEN_API_KEY is set.
describe.skipIf(!process.env.ELEVEN_API_KEY)('ElevenLabs, live', () => {
  it('lists voices and speaks over HTTP', { timeout: 60_000 }, async () => {
    const model = new TTS();
    const voices = await model.listVoices();
    expect(voices.length).toBeGreaterThan(0);
    const speech = await model.synthesize('The quick brown fox jumps over the lazy dog.').collect();
    expect(speech.sampleRate).toBe(24_000);
    expect(speech.samplesPerChannel / speech.sampleRate).toBeGreaterThan(1);
  });

  it('streams two segments on one connection, with word timings', { timeout: 60_000 }, async () => {
    const model = new TTS();
    try {
      const stream = model.stream();
      for (const word of 'Hello there, how are you today? '.split(/(?<= )/)) stream.pushText(word);
      stream.flush();
      stream.pushText('I am fine, thank you.');
      stream.flush();
      stream.endInput();
      let finished = 0;
      let seconds = 0;
      const words: tts.TimedWord[] = [];
      for await (const event of stream) {
        if (event.type === tts.SynthesisEventType.AUDIO) {
          seconds += event.audio.frame.samplesPerChannel / event.audio.frame.sampleRate;
          words.push(...(event.audio.words ?? []));
        } else if (event.type === tts.SynthesisEventType.FINISHED) {
          finished++;
          words.push(...(event.words ?? []));
        }
      }
      expect(finished).toBe(2);
      expect(seconds).toBeGreaterThan(1.5);
      expect(words.map((w) => w.text.toLowerCase())).toContain('today?');
    } finally {
      await model.close();
    }
  });
});
