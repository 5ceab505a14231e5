import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DeepgramStandIn, scaledMs } from '../src/index.js';
import { deadline, KEY } from './deepgram-helpers.js';
import { chunks, SPEECH_PCM, SPEECH_WAV } from './fixtures/deepgram/speech.js';

const QUERY =
  'model=nova-3&encoding=linear16&sample_rate=16000&channels=1&interim_results=true&punctuate=true';

const standIns: DeepgramStandIn[] = [];
async function startStandIn(options: Parameters<typeof DeepgramStandIn.start>[0] = {}) {
  const dg = await DeepgramStandIn.start({ apiKey: KEY, ...options });
  standIns.push(dg);
  return dg;
}

afterEach(async () => {
  await Promise.all(standIns.splice(0).map((dg) => dg.close()));
});

function open(dg: DeepgramStandIn) {
  const ws = new WebSocket(`${dg.wsUrl}/v1/listen?${QUERY}`, {
    headers: { Authorization: `Token ${KEY}` },
  });
  const received: unknown[] = [];
  ws.on('message', (data) => {
    const text = data.toString();
    try {
      received.push(JSON.parse(text));
    } catch {
      received.push(text);
    }
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, received, closed, opened };
}

function sendAll(ws: WebSocket): void {
  for (const chunk of chunks()) ws.send(chunk);
  ws.send(JSON.stringify({ type: 'CloseStream' }));
}

function post(dg: DeepgramStandIn, init: RequestInit = {}) {
  return fetch(`${dg.url}/v1/listen?model=nova-3&punctuate=true`, {
    method: 'POST',
    headers: { Authorization: `Token ${KEY}`, 'Content-Type': 'audio/wav' },
    body: SPEECH_WAV,
    ...init,
  });
}

describe('Deepgram stand-in faults, live', () => {
  it('auth: answers the next connections 401 even with a good key, then accepts again', async () => {
    const dg = await startStandIn();
    dg.injectFault('auth', { times: 2 });
    for (let i = 0; i < 2; i++) {
      const client = open(dg);
      await expect(deadline(client.opened, 'refusal')).rejects.toThrow(/401/);
    }
    const client = open(dg);
    await deadline(client.opened, 'open');
    expect(dg.refusedUpgrades.map((r) => r.status)).toEqual([401, 401]);
    client.ws.close();
  });

  it('drop: terminates the socket after afterAudioMs of audio, without a close frame', async () => {
    const dg = await startStandIn();
    dg.injectFault('drop', { afterAudioMs: 1000 });
    const client = open(dg);
    await deadline(client.opened, 'open');
    sendAll(client.ws);
    expect(await deadline(client.closed, 'drop')).toBe(1006);
    const connection = await dg.waitForConnection();
    expect(connection.closeCode).toBe(1006);
    // 100 ms frames: the tenth one reaches the mark and nothing after it is taken.
    expect(connection.audioMs).toBe(1000);
    expect(connection.faults).toEqual(['drop']);
  });

  it('stall: a stalled connection gets nothing, not even a close, while another one is answered', async () => {
    const dg = await startStandIn();
    dg.injectFault('stall');
    const stalled = open(dg);
    await deadline(stalled.opened, 'open');
    const stalledConnection = await dg.waitForConnection();
    const healthy = open(dg);
    await deadline(healthy.opened, 'open');
    sendAll(stalled.ws);
    sendAll(healthy.ws);
    expect(await deadline(healthy.closed, 'healthy close')).toBe(1000);
    await dg.waitUntil(
      () => stalledConnection.controlMessages.length === 1 || undefined,
      'CloseStream on the stalled connection',
    );
    expect(stalledConnection.audioBytes).toBe(SPEECH_PCM.length);
    expect(stalledConnection.sentMessages).toEqual([]);
    expect(stalledConnection.closeCode).toBeUndefined();
    expect(stalled.received).toEqual([]);
    expect(healthy.received.length).toBeGreaterThan(3);
    stalled.ws.terminate();
  });

  it('malformed: one frame that is not JSON, then the stream goes on', async () => {
    const dg = await startStandIn();
    dg.injectFault('malformed', { afterAudioMs: 500 });
    const client = open(dg);
    await deadline(client.opened, 'open');
    sendAll(client.ws);
    expect(await deadline(client.closed, 'close')).toBe(1000);
    const bad = client.received.filter((m) => typeof m === 'string');
    expect(bad).toHaveLength(1);
    expect(() => JSON.parse(bad[0] as string)).toThrow();
    const index = client.received.indexOf(bad[0]);
    expect(
      client.received.slice(index + 1).some((m) => (m as { type?: string }).type === 'Results'),
    ).toBe(true);
    expect((client.received.at(-1) as { type: string }).type).toBe('Metadata');
  });

  it('slow-first-byte: holds the 101 back, so a later connection opens first', async () => {
    const dg = await startStandIn();
    dg.injectFault('slow-first-byte', { delayMs: scaledMs(1000) });
    const order: string[] = [];
    const slow = open(dg);
    void slow.opened.then(() => order.push('slow'));
    // The slow upgrade took the fault and is being held before the second one is made.
    await dg.waitUntil(() => (dg.heldUpgradeCount() === 1 ? true : undefined), 'held upgrade');
    const fast = open(dg);
    void fast.opened.then(() => order.push('fast'));
    await deadline(Promise.all([slow.opened, fast.opened]), 'both open');
    expect(order).toEqual(['fast', 'slow']);
    expect(dg.connections.map((c) => c.faults)).toEqual([[], ['slow-first-byte']]);
    slow.ws.close();
    fast.ws.close();
  });
});

describe('Deepgram stand-in faults, pre-recorded', () => {
  it('auth: 401 INVALID_AUTH with a good key, once', async () => {
    const dg = await startStandIn();
    dg.injectFault('auth');
    const refused = await post(dg);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('dg-error')).toBe('Invalid credentials.');
    expect(await refused.json()).toMatchObject({ err_code: 'INVALID_AUTH' });
    expect((await post(dg)).status).toBe(200);
  });

  it('malformed: a 200 whose body is not JSON', async () => {
    const dg = await startStandIn();
    dg.injectFault('malformed');
    const response = await post(dg);
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
  });

  it('drop: the connection is cut without an answer', async () => {
    const dg = await startStandIn();
    dg.injectFault('drop');
    await expect(post(dg)).rejects.toThrow(/fetch failed/);
  });

  it('stall: the request is never answered until the client gives up', async () => {
    const dg = await startStandIn();
    dg.injectFault('stall');
    const abort = new AbortController();
    const pending = post(dg, { signal: abort.signal });
    // Answered requests get a status as they are sent; a second request is answered while the first waits.
    expect((await post(dg)).status).toBe(200);
    expect(dg.requests.map((r) => r.status)).toEqual([undefined, 200]);
    abort.abort();
    await expect(pending).rejects.toThrow(/abort/i);
  });

  it('slow-first-byte: a later request is answered first', async () => {
    const dg = await startStandIn();
    dg.injectFault('slow-first-byte', { delayMs: scaledMs(1000) });
    const order: string[] = [];
    const slow = post(dg).then(() => order.push('slow'));
    await dg.waitUntil(() => (dg.requests.length === 1 ? true : undefined), 'first request');
    const fast = post(dg).then(() => order.push('fast'));
    await deadline(Promise.all([slow, fast]), 'both answers');
    expect(order).toEqual(['fast', 'slow']);
  });
});
