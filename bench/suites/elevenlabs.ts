// Framework overhead of @agents/plugin-elevenlabs streaming: from the moment the stand-in
// sends the first audio message of a segment to the moment the consumer holds the first
// 20 ms AUDIO frame of it. Network and model time are out of the picture (latency 'none',
// loopback, a warm connection); what is left is ws, JSON and base64 decoding, our context
// routing, the alignment to words and the stream plumbing. Both ends share this process, so
// the figures include a few turns of one event loop.
import { tts } from '@agents/core';
import { TTS } from '@agents/plugin-elevenlabs';
import { type ElevenLabsConnection, ElevenLabsStandIn } from '@agents/testing';
import { fmt, percentile, type Row, type Suite } from '../measure.js';

const KEY = 'xi-bench';
const TEXT = 'Hi! How can I help you today?';
const WARMUP = 5;
const RUNS = 101;

/**
 * Stamps the first audio message the stand-in sends after `reset()`: it records every
 * message in `sent` just before writing it to the socket, so the stamp is that write.
 */
function stampFirstAudio(connection: ElevenLabsConnection) {
  let at: number | undefined;
  const sent = connection.sent;
  const push = sent.push.bind(sent);
  sent.push = (...items: unknown[]) => {
    if (at === undefined && items.some((m) => (m as { audio?: unknown })?.audio)) {
      at = performance.now();
    }
    return push(...items);
  };
  return {
    reset: () => {
      at = undefined;
    },
    get at() {
      return at;
    },
  };
}

/** Speaks one reply on a new stream; returns when its first AUDIO frame arrived. */
async function firstFrameAt(model: TTS): Promise<number> {
  const stream = model.stream();
  stream.pushText(TEXT);
  stream.flush();
  stream.endInput();
  let at: number | undefined;
  for await (const event of stream) {
    if (at === undefined && event.type === tts.SynthesisEventType.AUDIO) at = performance.now();
  }
  if (at === undefined) throw new Error('the stream produced no audio');
  return at;
}

export const elevenlabsSuite: Suite = {
  name: 'elevenlabs',
  async run(): Promise<Row[]> {
    const standIn = await ElevenLabsStandIn.start({ apiKey: KEY, latency: 'none' });
    const model = new TTS({ apiKey: KEY, baseURL: `${standIn.url}/v1` });
    try {
      // Opens the shared connection, which every later reply reuses.
      await firstFrameAt(model);
      const stamp = stampFirstAudio(await standIn.waitForConnection());
      const samples: number[] = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        stamp.reset();
        const frameAt = await firstFrameAt(model);
        if (stamp.at === undefined) throw new Error('the stand-in sent no audio on its connection');
        if (i >= WARMUP) samples.push(frameAt - stamp.at);
      }
      if (standIn.connections.length !== 1) throw new Error('the connection was not reused');
      return [
        {
          name: 'TTS stream: stand-in first audio message → first 20 ms AUDIO frame',
          result: `p50 ${fmt(percentile(samples, 50), 2)} ms, p95 ${fmt(percentile(samples, 95), 2)} ms`,
          detail:
            `warm multi-stream-input websocket over loopback, 24 kHz PCM in ~250 ms messages ` +
            `with alignment, a new stream per reply; ${samples.length} replies`,
        },
      ];
    } finally {
      await model.close();
      await standIn.close();
    }
  },
};
