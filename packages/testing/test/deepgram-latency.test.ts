import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  DEEPGRAM_NO_LATENCY,
  DEEPGRAM_REALISTIC_LATENCY,
  DeepgramStandIn,
  scaledMs,
} from '../src/index.js';
import { chunks } from './fixtures/deepgram/speech.js';

const KEY = 'dg-test-key';
const QUERY =
  'model=nova-3&encoding=linear16&sample_rate=16000&interim_results=true&endpointing=300';

const standIns: DeepgramStandIn[] = [];
async function startStandIn(options: Parameters<typeof DeepgramStandIn.start>[0] = {}) {
  const dg = await DeepgramStandIn.start({ apiKey: KEY, ...options });
  standIns.push(dg);
  return dg;
}
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(standIns.splice(0).map((dg) => dg.close()));
});

function connect(dg: DeepgramStandIn): WebSocket {
  const ws = new WebSocket(`${dg.wsUrl}/v1/listen?${QUERY}`, {
    headers: { Authorization: `Token ${KEY}` },
  });
  sockets.push(ws);
  return ws;
}

/** Resolves with `label` when the socket receives its first speech_final. */
function firstSpeechFinal(ws: WebSocket, label: string): Promise<string> {
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { speech_final?: boolean };
      if (message.speech_final) resolve(label);
    });
  });
}

describe('Deepgram stand-in latency profile', () => {
  it("is zero by default; 'realistic' takes the figures of providers-wire.md 6.3", async () => {
    expect((await startStandIn()).latency).toEqual(DEEPGRAM_NO_LATENCY);
    const realistic = await startStandIn({ latency: 'realistic' });
    expect(realistic.latency).toEqual(DEEPGRAM_REALISTIC_LATENCY);
    expect(realistic.latency.handshakeMs).toBeGreaterThanOrEqual(130);
    expect(realistic.latency.handshakeMs).toBeLessThanOrEqual(300);
    const partial = await startStandIn({ latency: { finalMs: 42 } });
    expect(partial.latency).toEqual({ ...DEEPGRAM_NO_LATENCY, finalMs: 42 });
  });

  it('holds the handshake for handshakeMs', async () => {
    const dg = await startStandIn({ latency: { handshakeMs: scaledMs(500) } });
    const ws = connect(dg);
    await dg.waitUntil(() => (dg.heldUpgradeCount() === 1 ? true : undefined), 'held upgrade');
    expect(dg.connections).toHaveLength(0);
    await new Promise((resolve) => ws.once('open', resolve));
    expect(dg.heldUpgradeCount()).toBe(0);
  });

  it('holds a speech_final back by finalMs: the same audio without it is answered first', async () => {
    const slow = await startStandIn({ latency: { finalMs: scaledMs(1000) } });
    const fast = await startStandIn();
    const slowWs = connect(slow);
    const fastWs = connect(fast);
    await Promise.all(
      [slowWs, fastWs].map((ws) => new Promise((resolve) => ws.once('open', resolve))),
    );
    const order = Promise.all([firstSpeechFinal(slowWs, 'slow'), firstSpeechFinal(fastWs, 'fast')]);
    const arrived: string[] = [];
    void firstSpeechFinal(slowWs, 'slow').then((label) => arrived.push(label));
    void firstSpeechFinal(fastWs, 'fast').then((label) => arrived.push(label));
    // The slow stand-in gets its audio first, so only the delay can put it second.
    for (const chunk of chunks()) slowWs.send(chunk);
    for (const chunk of chunks()) fastWs.send(chunk);
    await order;
    expect(arrived).toEqual(['fast', 'slow']);
  });
});
