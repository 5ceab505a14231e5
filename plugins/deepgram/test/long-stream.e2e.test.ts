import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { stt } from '@agents/core';
import { DeepgramStandIn } from '@agents/testing';
import { describe, expect, it } from 'vitest';
import { STT } from '../src/index.js';
import { feed, SPEECH, SPEECH_SECONDS, slice } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('deepgram.STT, a long stream', () => {
  it('transcribes 10 minutes of audio fed fast with flat memory', {
    timeout: 300_000,
  }, async () => {
    const dg = await DeepgramStandIn.start({ apiKey: 'dg-test' });
    try {
      const stream = new STT({ apiKey: 'dg-test', baseURL: dg.url }).stream();
      let ends = 0;
      let lastEnd = 0;
      const reading = (async () => {
        for await (const event of stream) {
          if (event.type !== stt.SpeechEventType.END_OF_SPEECH) continue;
          ends++;
          lastEnd = event.alternatives[0]?.endTime ?? lastEnd;
        }
      })();
      const frames = slice(SPEECH);
      const loops = Math.ceil(600 / SPEECH_SECONDS);
      let heapAfterOneMinute = 0;
      for (let loop = 0; loop < loops; loop++) {
        await feed(stream, frames);
        if (loop === Math.ceil(60 / SPEECH_SECONDS)) heapAfterOneMinute = heapMB();
      }
      const heapAtTheEnd = heapMB();
      stream.endInput();
      await reading;

      expect(ends).toBe(loops * 3);
      // Stream time keeps counting across the whole stream.
      expect(lastEnd).toBeGreaterThan((loops - 1) * SPEECH_SECONDS);
      expect(dg.connections).toHaveLength(1);
      expect(dg.connections[0]!.audioBytes).toBe(loops * SPEECH.samplesPerChannel * 2);
      // Nine more minutes of audio leave the heap where one minute left it (a leak of even the
      // events would add megabytes: ~2700 utterances, tens of thousands of messages).
      expect(heapAtTheEnd - heapAfterOneMinute).toBeLessThan(8);
    } finally {
      await dg.close();
    }
  });
});
