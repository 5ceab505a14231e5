import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEEPGRAM_IDLE_CLOSE_REASON, DeepgramStandIn, scaledMs } from '../src/index.js';
import { deadline, KEY } from './deepgram-helpers.js';
import {
  chunks,
  EDGE_TOLERANCE_S,
  SPEECH_PCM,
  SPEECH_REGIONS,
  silence,
} from './fixtures/deepgram/speech.js';

/**
 * A bare `ws` client sending what LiveKit's Deepgram plugin (1.9) sends
 * (providers-wire.md section 3): its default URL, `Authorization: Token`, 100 ms
 * binary frames, KeepAlive every 5 s, CloseStream at the end.
 */
const LK_QUERY =
  'model=nova-3&punctuate=true&smart_format=true&dictation=false&diarize=false&numerals=false' +
  '&no_delay=true&interim_results=true&encoding=linear16&vad_events=true&sample_rate=16000' +
  '&channels=1&endpointing=25&filler_words=false&profanity_filter=false&language=en-US&mip_opt_out=false';

interface Results {
  type: 'Results';
  start: number;
  duration: number;
  is_final: boolean;
  speech_final: boolean;
  from_finalize: boolean;
  channel: { alternatives: { transcript: string; words: { start: number; end: number }[] }[] };
  metadata: { request_id: string };
}

const standIns: DeepgramStandIn[] = [];
async function startStandIn(options: Parameters<typeof DeepgramStandIn.start>[0] = {}) {
  const dg = await DeepgramStandIn.start({ apiKey: KEY, ...options });
  standIns.push(dg);
  return dg;
}

afterEach(async () => {
  await Promise.all(standIns.splice(0).map((dg) => dg.close()));
});

/** A client socket with everything it received, as text (parsed when JSON). */
function open(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}) {
  const { protocols, ...rest } = options;
  const ws = new WebSocket(url, protocols, { headers: { Authorization: `Token ${KEY}` }, ...rest });
  const received: unknown[] = [];
  let upgrade: IncomingMessage | undefined;
  ws.on('upgrade', (res) => {
    upgrade = res;
  });
  ws.on('message', (data) => {
    const text = data.toString();
    try {
      received.push(JSON.parse(text));
    } catch {
      received.push(text);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, received, closed, opened, upgrade: () => upgrade };
}

/** LiveKit's plugin's send loop, fed as fast as the socket takes it; KeepAlive every 5 s meanwhile. */
async function sendLikeLiveKit(ws: WebSocket, pcm: Buffer): Promise<void> {
  const keepAlive = setInterval(() => ws.send(JSON.stringify({ type: 'KeepAlive' })), 5000);
  try {
    for (const chunk of chunks(pcm)) ws.send(chunk);
  } finally {
    clearInterval(keepAlive);
  }
}

const results = (received: unknown[]) =>
  received.filter((m): m is Results => (m as { type?: string }).type === 'Results');
const transcript = (r: Results) => r.channel.alternatives[0]?.transcript ?? '';
const ofType = (received: unknown[], type: string) =>
  received.filter((m) => (m as { type?: string }).type === type);

describe('a bare ws client sending what LiveKit sends', () => {
  it('gets interim, final and speech_final results per sentence, then Metadata and a 1000 close after CloseStream', async () => {
    const dg = await startStandIn();
    const client = open(`${dg.wsUrl}/v1/listen?${LK_QUERY}`);
    await deadline(client.opened, 'open');
    const connection = await dg.waitForConnection();
    expect(client.upgrade()?.headers['dg-request-id']).toBe(connection.requestId);
    expect(connection.query.toString()).toBe(LK_QUERY);

    await sendLikeLiveKit(client.ws, SPEECH_PCM);
    client.ws.send(JSON.stringify({ type: 'CloseStream' }));
    expect((await deadline(client.closed, 'close')).code).toBe(1000);

    const all = results(client.received);
    expect(all.every((r) => r.metadata.request_id === connection.requestId)).toBe(true);
    expect(all.some((r) => !r.is_final && transcript(r) !== '')).toBe(true);
    const speechFinals = all.filter((r) => r.speech_final);
    expect(speechFinals.map(transcript)).toEqual([
      'Alpha bravo charlie delta.',
      'Alpha bravo charlie.',
      'Alpha bravo charlie.',
    ]);
    speechFinals.forEach((r, i) => {
      const end = SPEECH_REGIONS[i]?.[1] ?? 0;
      expect(Math.abs((r.channel.alternatives[0]?.words.at(-1)?.end ?? 0) - end)).toBeLessThan(
        EDGE_TOLERANCE_S,
      );
      // endpointing=25 is shorter than the detector's 200 ms hangover, which then decides.
      expect(Math.abs(r.start + r.duration - (end + 0.2))).toBeLessThan(EDGE_TOLERANCE_S);
    });
    expect(ofType(client.received, 'SpeechStarted')).toHaveLength(SPEECH_REGIONS.length);
    // No utterance_end_ms in LiveKit's default URL: no UtteranceEnd.
    expect(ofType(client.received, 'UtteranceEnd')).toHaveLength(0);
    expect((client.received.at(-1) as { type: string }).type).toBe('Metadata');
  });

  it('accepts the key as subprotocols and echoes the scheme', async () => {
    const dg = await startStandIn();
    const client = open(`${dg.wsUrl}/v1/listen?encoding=linear16&sample_rate=16000`, {
      headers: {},
      protocols: ['token', KEY],
    });
    await deadline(client.opened, 'open');
    expect(client.ws.protocol).toBe('token');
    client.ws.close();
  });

  it('refuses a bad key with HTTP 401 before the upgrade, with the service body and headers', async () => {
    const dg = await startStandIn();
    const ws = new WebSocket(`${dg.wsUrl}/v1/listen?${LK_QUERY}`, {
      headers: { Authorization: 'Token wrong' },
    });
    const refused = new Promise<{
      status?: number;
      headers: IncomingMessage['headers'];
      body: string;
    }>((resolve) => {
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      });
    });
    ws.on('error', () => {});
    const { status, headers, body } = await deadline(refused, '401');
    expect(status).toBe(401);
    const parsed = JSON.parse(body) as Record<string, string>;
    expect(parsed).toEqual({
      err_code: 'INVALID_AUTH',
      err_msg: 'Invalid credentials.',
      request_id: headers['dg-request-id'],
    });
    expect(headers['dg-error']).toBe('Invalid credentials.');
    expect(dg.connections).toHaveLength(0);
    expect(dg.refusedUpgrades.map((r) => r.status)).toEqual([401]);
  });

  it('refuses an encoding it cannot decode with 400, naming the parameter', async () => {
    const dg = await startStandIn();
    const ws = new WebSocket(`${dg.wsUrl}/v1/listen?encoding=opus&sample_rate=48000`, {
      headers: { Authorization: `Token ${KEY}` },
    });
    const error = await deadline(
      new Promise<Error>((resolve) => ws.once('error', resolve)),
      'error',
    );
    expect(error.message).toContain('400');
    expect(dg.refusedUpgrades.map((r) => r.status)).toEqual([400]);
  });

  it('answers Finalize with the pending speech as a from_finalize final', async () => {
    const dg = await startStandIn();
    const client = open(`${dg.wsUrl}/v1/listen?${LK_QUERY}`);
    await deadline(client.opened, 'open');
    // The first second: 0.4 s of the first sentence, still going.
    client.ws.send(SPEECH_PCM.subarray(0, 16000 * 2));
    client.ws.send(JSON.stringify({ type: 'Finalize' }));
    const connection = await dg.waitForConnection();
    const finalized = await dg.waitUntil(
      () => results(connection.sentMessages).find((r) => r.from_finalize),
      'from_finalize result',
    );
    expect(finalized.is_final).toBe(true);
    expect(finalized.speech_final).toBe(false);
    expect(finalized.start + finalized.duration).toBeCloseTo(1, 3);
    expect(transcript(finalized)).toBe('Alpha');
    // The rest of the sentence continues the word sequence in the next final.
    client.ws.send(SPEECH_PCM.subarray(16000 * 2, 16000 * 3 * 2));
    const rest = await dg.waitUntil(
      () => results(connection.sentMessages).find((r) => r.speech_final),
      'speech_final',
    );
    expect(transcript(rest)).toBe('bravo charlie delta.');
    expect(rest.start).toBeCloseTo(1, 3);
    client.ws.close();
  });

  it('gives scripted transcripts to the next speech regions, then the deterministic words again', async () => {
    const dg = await startStandIn();
    dg.scriptTranscripts('Hello there.', 'How are you doing today?');
    const client = open(`${dg.wsUrl}/v1/listen?${LK_QUERY}`);
    await deadline(client.opened, 'open');
    await sendLikeLiveKit(client.ws, SPEECH_PCM);
    client.ws.send(JSON.stringify({ type: 'CloseStream' }));
    await deadline(client.closed, 'close');
    const finals = results(client.received).filter((r) => r.speech_final);
    expect(finals.map(transcript)).toEqual([
      'Hello there.',
      'How are you doing today?',
      'Alpha bravo charlie.',
    ]);
    const words = finals[1]?.channel.alternatives[0]?.words ?? [];
    expect(words.map((w) => (w as { word?: string }).word)).toEqual([
      'how',
      'are',
      'you',
      'doing',
      'today',
    ]);
    const [start, end] = SPEECH_REGIONS[1] as [number, number];
    expect(Math.abs((words[0]?.start ?? 0) - start)).toBeLessThan(EDGE_TOLERANCE_S);
    expect(Math.abs((words.at(-1)?.end ?? 0) - end)).toBeLessThan(EDGE_TOLERANCE_S);
    expect(dg.pendingScripts).toEqual([]);
  });

  it('sends UtteranceEnd utterance_end_ms after the last word, with interim results only', async () => {
    const dg = await startStandIn();
    const client = open(`${dg.wsUrl}/v1/listen?${LK_QUERY}&utterance_end_ms=700`);
    await deadline(client.opened, 'open');
    await sendLikeLiveKit(client.ws, SPEECH_PCM);
    client.ws.send(JSON.stringify({ type: 'CloseStream' }));
    await deadline(client.closed, 'close');
    const ends = ofType(client.received, 'UtteranceEnd') as {
      last_word_end: number;
      channel: number[];
    }[];
    expect(ends.map((e) => e.channel)).toEqual(SPEECH_REGIONS.map(() => [0, 1]));
    ends.forEach((e, i) => {
      expect(Math.abs(e.last_word_end - (SPEECH_REGIONS[i]?.[1] ?? 0))).toBeLessThan(
        EDGE_TOLERANCE_S,
      );
    });
  });

  it('with endpointing=false gives finals without speech_final', async () => {
    const dg = await startStandIn();
    const query = LK_QUERY.replace('endpointing=25', 'endpointing=false');
    const client = open(`${dg.wsUrl}/v1/listen?${query}`);
    await deadline(client.opened, 'open');
    await sendLikeLiveKit(client.ws, SPEECH_PCM);
    client.ws.send(JSON.stringify({ type: 'CloseStream' }));
    await deadline(client.closed, 'close');
    const finals = results(client.received).filter((r) => r.is_final);
    expect(finals.map(transcript)).toEqual([
      'Alpha bravo charlie delta.',
      'Alpha bravo charlie.',
      'Alpha bravo charlie.',
    ]);
    expect(finals.some((r) => r.speech_final)).toBe(false);
  });

  it('gives no words for a burst under 300 ms, and a final without endpoint for a segment over 5 s', async () => {
    const dg = await startStandIn();
    const client = open(`${dg.wsUrl}/v1/listen?${LK_QUERY}`);
    await deadline(client.opened, 'open');
    // A 200 ms click, silence, then 6 s of unbroken tone.
    const pcm = Buffer.concat([tone(0.2), silence(1), tone(6), silence(0.5)]);
    await sendLikeLiveKit(client.ws, pcm);
    client.ws.send(JSON.stringify({ type: 'CloseStream' }));
    await deadline(client.closed, 'close');
    const started = ofType(client.received, 'SpeechStarted') as { timestamp: number }[];
    expect(started.map((s) => s.timestamp)).toEqual([1.2]);
    const finals = results(client.received).filter((r) => r.is_final);
    expect(finals.map((r) => [r.speech_final, r.start + r.duration])).toEqual([
      // 5 s after the tone began, the segment is finalized mid-speech...
      [false, 6.2],
      // ...and the rest ends with the endpoint, 200 ms after the tone.
      [true, 7.4],
    ]);
    expect(finals.map(transcript).join(' ')).toBe(
      // 2.5 words/s, rounded per piece: 13 words in the first 5 s, 3 in the last second.
      'Alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa.',
    );
  });

  it('still ends an utterance when the client stops sending audio in silence (LiveKit gates quiet audio)', async () => {
    const dg = await startStandIn({ audioGapMs: 200 });
    const query = `${LK_QUERY.replace('endpointing=25', 'endpointing=500')}&utterance_end_ms=1000`;
    const client = open(`${dg.wsUrl}/v1/listen?${query}`);
    await deadline(client.opened, 'open');
    // The first sentence and 100 ms of its silence, then nothing: neither endpoint is reached in audio.
    const end = Math.round(((SPEECH_REGIONS[0]?.[1] ?? 0) + 0.1) * 16000) * 2;
    client.ws.send(SPEECH_PCM.subarray(0, end));
    const connection = await dg.waitForConnection();
    await dg.waitUntil(
      () => connection.sentMessages.find((m) => (m as { type?: string }).type === 'UtteranceEnd'),
      'UtteranceEnd',
    );
    const final = results(connection.sentMessages).find((r) => r.speech_final);
    expect(final && transcript(final)).toBe('Alpha bravo charlie delta.');
    client.ws.close();
  });
});

describe('idle timeout', () => {
  it('sends Metadata then closes 1011 with the NET-0001 reason when no frame comes', async () => {
    const dg = await startStandIn({ idleTimeoutMs: 300 });
    const client = open(`${dg.wsUrl}/v1/listen?${LK_QUERY}`);
    await deadline(client.opened, 'open');
    const close = await deadline(client.closed, 'idle close');
    expect(close).toEqual({ code: 1011, reason: DEEPGRAM_IDLE_CLOSE_REASON });
    expect(client.received).toHaveLength(1);
    expect(client.received[0] as { type: string; duration: number }).toMatchObject({
      type: 'Metadata',
      duration: 0,
    });
  });

  it('is reset by each KeepAlive', async () => {
    const idleTimeoutMs = scaledMs(400);
    const dg = await startStandIn({ idleTimeoutMs });
    const client = open(`${dg.wsUrl}/v1/listen?${LK_QUERY}`);
    await deadline(client.opened, 'open');
    // KeepAlive at half the timeout, as LiveKit does (5 s against 10 s), for three timeouts.
    const sent = 6;
    for (let i = 0; i < sent; i++) {
      await new Promise((resolve) => setTimeout(resolve, idleTimeoutMs / 2));
      client.ws.send(JSON.stringify({ type: 'KeepAlive' }));
    }
    const close = await deadline(client.closed, 'idle close');
    const connection = await dg.waitForConnection();
    // Every KeepAlive arrived on the open stream, long after one timeout had passed.
    expect(connection.controlMessages).toHaveLength(sent);
    expect(close.code).toBe(1011);
  });
});

/** A 440 Hz tone at half scale, 16 kHz mono. */
function tone(seconds: number): Buffer {
  const samples = Math.round(seconds * 16000);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    pcm.writeInt16LE(Math.round(16000 * Math.sin((2 * Math.PI * 440 * i) / 16000)), 2 * i);
  return pcm;
}
