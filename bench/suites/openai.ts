// Framework overhead of @agents/plugin-openai: from the moment the stand-in starts sending
// a response to the moment the consumer holds the first ChatChunk or TTS frame. Network and
// model time are out of the picture; what is left is the openai SDK, our stream plumbing and
// (for TTS) the 20 ms framing. Both ends share this process, so the figures include a few
// turns of one event loop.
import { llm } from '@agents/core';
// Until bench depends on @agents/plugin-openai and @agents/testing exports the stand-in,
// both come from source.
import { LLM, TTS } from '@agents/plugin-openai';
import { OpenAIStandIn } from '@agents/testing';
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';

const KEY = 'sk-bench';
const WARMUP = 5;
const RUNS = 41;

/** Runs `once` WARMUP + RUNS times; returns the RUNS latencies it measured. */
async function sample(once: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const ms = await once();
    if (i >= WARMUP) samples.push(ms);
  }
  return samples;
}

/** Reads `stream` to its end; returns when its first item arrived. */
async function firstItemAt(
  stream: AsyncIterator<unknown> & AsyncIterable<unknown>,
): Promise<number> {
  const first = await stream.next();
  const at = performance.now();
  if (first.done) throw new Error('the stream was empty');
  for await (const _ of stream) {
  }
  return at;
}

function row(name: string, samples: number[], detail: string): Row {
  return {
    name,
    result: `${fmt(median(samples), 2)} ms`,
    detail: `${detail}; median of ${samples.length} (p90 ${fmt(percentile(samples, 90), 2)} ms)`,
  };
}

export const openaiSuite: Suite = {
  name: 'openai',
  async run() {
    const standIn = await OpenAIStandIn.start({ apiKey: KEY });
    try {
      const model = new LLM({ apiKey: KEY, baseURL: standIn.url });
      const chatCtx = llm.ChatContext.from([{ role: 'user', content: 'Hello there!' }]);
      const chat = await sample(async () => {
        standIn.scriptChat({ content: 'Hi! How can I help you today?' });
        const at = await firstItemAt(model.chat({ chatCtx }));
        return at - standIn.requests.at(-1)!.firstByteAt!;
      });

      const speaker = new TTS({ apiKey: KEY, baseURL: standIn.url });
      const speech = await sample(async () => {
        standIn.scriptSpeech({ audioMs: 1000 });
        const at = await firstItemAt(speaker.synthesize('Hi! How can I help you today?'));
        return at - standIn.requests.at(-1)!.firstByteAt!;
      });

      return [
        row(
          'LLM: stand-in first byte → first ChatChunk',
          chat,
          'streamed chat completion over loopback, real openai SDK',
        ),
        row(
          'TTS: stand-in first byte → first 20 ms frame',
          speech,
          'raw 24 kHz PCM over loopback, 4801-byte chunks',
        ),
      ];
    } finally {
      await standIn.close();
    }
  },
};
