import { stt } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { STT } from '../src/index.js';
import { collect, feed, SPEECH, slice } from './helpers.js';

// Calls the real service, at a small cost: runs only when DEEPGRAM_API_KEY is set.
describe.skipIf(!process.env.DEEPGRAM_API_KEY)('Deepgram, live', () => {
  it('streams a recording: three utterances with words and timings', {
    timeout: 60_000,
  }, async () => {
    const stream = new STT().stream();
    const events = collect(stream);
    // Real time is not needed: the service takes audio faster than it plays.
    await feed(stream, slice(SPEECH));
    stream.endInput();
    const ends = (await events).filter((e) => e.type === stt.SpeechEventType.END_OF_SPEECH);
    expect(ends.length).toBeGreaterThan(0);
    expect(ends[0]!.alternatives[0]!.words!.length).toBeGreaterThan(0);
  });

  it('recognizes a recording through the pre-recorded endpoint', { timeout: 60_000 }, async () => {
    const event = await new STT().recognize(SPEECH);
    expect(event.alternatives[0]!.text.length).toBeGreaterThan(0);
    expect(event.requestId).not.toBe('');
  });
});
