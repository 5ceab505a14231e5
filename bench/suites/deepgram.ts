// Framework overhead of @agents/plugin-deepgram's stream: from the moment the stand-in hands
// a final `Results` message to its websocket to the moment the consumer holds the
// FINAL_TRANSCRIPT event. No network or model time (latency 'none'); what is left is ws
// framing over loopback, the ReconnectingSocket, JSON parsing, the mapping and the stream's
// event queues. Both ends share this process, so the figures include a few turns of one
// event loop. Each utterance is fed, then the stream waits idle for its end, so the feeding
// does not compete with the measurement.
import { readFileSync } from 'node:fs';
import { audio, stt } from '@agents/core';
import { STT } from '@agents/plugin-deepgram';
import { DeepgramStandIn } from '@agents/testing';
import { AudioFrame } from '@livekit/rtc-node';
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';

const KEY = 'dg-bench';
const WARMUP = 5;
const RUNS = 100;
const FIXTURE = new URL('../../plugins/silero/test/fixtures/speech-16k-mono.wav', import.meta.url);

/** The fixture's first sentence (it ends at 2.33 s) and enough silence after it for the endpoint. */
function utteranceFrames(): AudioFrame[] {
  const speech = audio.decodeWav(readFileSync(FIXTURE));
  const end = Math.round(2.9 * speech.sampleRate);
  const per = speech.sampleRate / 50;
  const frames: AudioFrame[] = [];
  for (let at = 0; at < end; at += per) {
    frames.push(new AudioFrame(speech.data.slice(at, at + per), speech.sampleRate, 1, per));
  }
  return frames;
}

export const deepgramSuite: Suite = {
  name: 'deepgram',
  async run() {
    const standIn = await DeepgramStandIn.start({ apiKey: KEY, latency: 'none' });
    try {
      const stream = new STT({ apiKey: KEY, baseURL: standIn.url }).stream();
      const events = stream[Symbol.asyncIterator]();
      const connection = standIn.waitForConnection();
      const frames = utteranceFrames();
      for (const frame of frames.slice(0, 5)) await stream.write(frame);
      const conn = await connection;

      // Notes when each final Results with words leaves the stand-in (checked on every frame out).
      const sentAt: number[] = [];
      let seen = 0;
      void standIn
        .waitUntil(
          () => {
            while (seen < conn.sentMessages.length) {
              const m = conn.sentMessages[seen++] as {
                type?: string;
                is_final?: boolean;
                channel?: { alternatives?: { transcript?: string }[] };
              };
              if (m.type === 'Results' && m.is_final && m.channel?.alternatives?.[0]?.transcript) {
                sentAt.push(performance.now());
              }
            }
            return undefined;
          },
          'the end of the bench',
          3_600_000,
        )
        .catch(() => {});

      const samples: number[] = [];
      let finals = 0;
      for (let i = 0; i < WARMUP + RUNS; i++) {
        for (const frame of i === 0 ? frames.slice(5) : frames) await stream.write(frame);
        for (;;) {
          const { value, done } = await events.next();
          if (done) throw new Error('the stream ended early');
          if (value.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
            const at = performance.now();
            if (i >= WARMUP) samples.push(at - sentAt[finals]!);
            finals++;
          }
          if (value.type === stt.SpeechEventType.END_OF_SPEECH) break;
        }
      }
      await stream.close();
      return [
        {
          name: 'STT stream: stand-in final Results sent → FINAL_TRANSCRIPT out',
          result: `${fmt(median(samples), 2)} ms`,
          detail:
            `ws over loopback, ReconnectingSocket, mapping, stream queues; median of ${samples.length} ` +
            `(p95 ${fmt(percentile(samples, 95), 2)} ms)`,
        } satisfies Row,
      ];
    } finally {
      await standIn.close();
    }
  },
};
