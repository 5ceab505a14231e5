import { DeepgramClient } from '@deepgram/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEEPGRAM_IDLE_CLOSE_REASON, DeepgramStandIn, scaledMs } from '../src/index.js';
import { deadline, KEY } from './deepgram-helpers.js';
import {
  chunks,
  EDGE_TOLERANCE_S,
  SPEECH_PCM,
  SPEECH_REGIONS,
  SPEECH_SECONDS,
  SPEECH_WAV,
} from './fixtures/deepgram/speech.js';

interface Message {
  type: string;
  [field: string]: unknown;
}

interface Results extends Message {
  start: number;
  duration: number;
  is_final: boolean;
  speech_final: boolean;
  from_finalize: boolean;
  channel: {
    alternatives: {
      transcript: string;
      confidence: number;
      words: { word: string; start: number; end: number; punctuated_word?: string }[];
    }[];
  };
  metadata: { request_id: string; model_info: { name: string }; model_uuid: string };
}

let dg: DeepgramStandIn;

beforeEach(async () => {
  dg = await DeepgramStandIn.start({ apiKey: KEY });
});

afterEach(async () => {
  await dg.close();
});

/** Opens a live socket through the SDK and records what it receives, until the close. */
async function connectSdk(args: Record<string, string | number>, apiKey = KEY) {
  const client = new DeepgramClient({ apiKey, baseUrl: dg.url });
  const socket = await client.listen.v1.connect({ model: 'nova-3', ...args } as never);
  const messages: Message[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (event) => resolve({ code: event.code, reason: event.reason }));
  });
  const errors: Error[] = [];
  socket.on('message', (message) => messages.push(message as unknown as Message));
  socket.on('error', (error) => errors.push(error));
  socket.connect();
  return { socket, messages, closed, errors };
}

describe('@deepgram/sdk against the stand-in: live', () => {
  it('streams interim, final and speech_final results, SpeechStarted and UtteranceEnd, then Metadata and a 1000 close after CloseStream', async () => {
    const { socket, messages, closed } = await connectSdk({
      encoding: 'linear16',
      sample_rate: 16000,
      channels: 1,
      interim_results: 'true',
      punctuate: 'true',
      vad_events: 'true',
      endpointing: 300,
      utterance_end_ms: 700,
    });
    await deadline(socket.waitForOpen(), 'open');
    for (const chunk of chunks()) socket.sendMedia(chunk);
    socket.sendKeepAlive({ type: 'KeepAlive' });
    socket.sendCloseStream({ type: 'CloseStream' });
    const close = await deadline(closed, 'close');
    expect(close.code).toBe(1000);

    const connection = await dg.waitForConnection();
    expect(connection.audioBytes).toBe(SPEECH_PCM.length);
    expect(connection.controlMessages).toEqual([{ type: 'KeepAlive' }, { type: 'CloseStream' }]);

    const started = messages.filter((m) => m.type === 'SpeechStarted');
    expect(started.map((m) => m.timestamp)).toHaveLength(SPEECH_REGIONS.length);
    started.forEach((m, i) => {
      expect(Math.abs((m.timestamp as number) - (SPEECH_REGIONS[i]?.[0] ?? 0))).toBeLessThan(
        EDGE_TOLERANCE_S,
      );
    });

    const results = messages.filter((m): m is Results => m.type === 'Results');
    for (const r of results) {
      expect(r.metadata.request_id).toBe(connection.requestId);
      expect(r.metadata.model_info.name).toBe('general-nova-3');
    }
    const speechFinals = results.filter((r) => r.speech_final);
    expect(speechFinals.map((r) => r.channel.alternatives[0]?.transcript)).toEqual([
      'Alpha bravo charlie delta.',
      'Alpha bravo charlie.',
      'Alpha bravo charlie.',
    ]);
    speechFinals.forEach((r, i) => {
      const [start, end] = SPEECH_REGIONS[i] as [number, number];
      const words = r.channel.alternatives[0]?.words ?? [];
      expect(Math.abs((words[0]?.start ?? 0) - start)).toBeLessThan(EDGE_TOLERANCE_S);
      expect(Math.abs((words.at(-1)?.end ?? 0) - end)).toBeLessThan(EDGE_TOLERANCE_S);
      // speech_final comes after `endpointing` (300 ms) of silence, at the end of its window.
      expect(r.start + r.duration).toBeCloseTo(end + 0.3, 1);
      expect(r.is_final).toBe(true);
    });
    expect(results.some((r) => !r.is_final && r.channel.alternatives[0]?.transcript)).toBe(true);

    const utteranceEnds = messages.filter((m) => m.type === 'UtteranceEnd');
    expect(utteranceEnds).toHaveLength(SPEECH_REGIONS.length);

    // Result windows tile the stream: each starts where the last final ended.
    const finals = results.filter((r) => r.is_final);
    let end = 0;
    for (const r of finals) {
      expect(r.start).toBeCloseTo(end, 3);
      end = r.start + r.duration;
    }
    const metadata = messages.at(-1) as Message;
    expect(metadata.type).toBe('Metadata');
    expect(metadata.request_id).toBe(connection.requestId);
    expect(metadata.duration).toBeCloseTo(SPEECH_SECONDS, 2);
  });
});

describe('@deepgram/sdk against the stand-in: live failures', () => {
  it('a bad key: the 401 reaches the SDK as a close then an error, and it does not retry', async () => {
    const { socket, closed, errors } = await connectSdk(
      { encoding: 'linear16', sample_rate: 16000 },
      'wrong-key',
    );
    await expect(deadline(socket.waitForOpen(), 'refusal')).rejects.toThrow(/401/);
    expect((await deadline(closed, 'close')).code).toBe(1000);
    expect(errors.map((e) => e.message).join()).toMatch(/401/);
    expect(dg.refusedUpgrades.map((r) => r.status)).toEqual([401]);
    expect(dg.connections).toHaveLength(0);
    socket.close();
  });

  it('Finalize gives a from_finalize final; the idle timeout closes 1011 after Metadata', async () => {
    await dg.close();
    dg = await DeepgramStandIn.start({ apiKey: KEY, idleTimeoutMs: scaledMs(500) });
    const { socket, messages, closed } = await connectSdk({
      encoding: 'linear16',
      sample_rate: 16000,
      interim_results: 'true',
      reconnectAttempts: 0,
    });
    await deadline(socket.waitForOpen(), 'open');
    socket.sendMedia(SPEECH_PCM.subarray(0, 16000 * 2 * 2));
    socket.sendFinalize({ type: 'Finalize' });
    const close = await deadline(closed, 'idle close');
    expect(close.code).toBe(1011);
    expect(close.reason).toBe(DEEPGRAM_IDLE_CLOSE_REASON);
    const finalized = messages.find(
      (m): m is Results => m.type === 'Results' && (m as Results).from_finalize,
    );
    // Two seconds of audio: 1.4 s of the first sentence, 4 words at 2.5 words/s (no punctuate asked).
    expect(finalized?.channel.alternatives[0]?.transcript).toBe('alpha bravo charlie delta');
    expect(messages.at(-1)?.type).toBe('Metadata');
  });
});

describe('@deepgram/sdk against the stand-in: pre-recorded', () => {
  it('a bad key gives the SDK a 401 error with the service body', async () => {
    const client = new DeepgramClient({ apiKey: 'wrong-key', baseUrl: dg.url });
    const error = await client.listen.v1.media
      .transcribeFile(SPEECH_WAV, { model: 'nova-3' } as never)
      .then(
        () => undefined,
        (e: unknown) => e as { statusCode?: number; body?: unknown },
      );
    expect(error?.statusCode).toBe(401);
    expect(error?.body).toMatchObject({
      err_code: 'INVALID_AUTH',
      err_msg: 'Invalid credentials.',
    });
  });

  it('refuses a URL body with 400: the stand-in has no internet', async () => {
    const client = new DeepgramClient({ apiKey: KEY, baseUrl: dg.url });
    const error = await client.listen.v1.media
      .transcribeUrl({ url: 'https://example.com/a.wav', model: 'nova-3' } as never)
      .then(
        () => undefined,
        (e: unknown) => e as { statusCode?: number; body?: { err_msg?: string } },
      );
    expect(error?.statusCode).toBe(400);
    expect(error?.body?.err_msg).toMatch(/no internet access/);
  });

  it('gives scripted transcripts to the regions of a WAV upload', async () => {
    dg.scriptTranscripts('Hello there.');
    const client = new DeepgramClient({ apiKey: KEY, baseUrl: dg.url });
    const response = (await client.listen.v1.media.transcribeFile(SPEECH_WAV, {
      model: 'nova-3',
      smart_format: true,
    } as never)) as unknown as { results: { channels: Results['channel'][] } };
    const alternative = response.results.channels[0]?.alternatives[0];
    expect(alternative?.transcript).toBe('Hello there. Alpha bravo charlie. Alpha bravo charlie.');
    expect(alternative?.words[1]).toMatchObject({ word: 'there', punctuated_word: 'there.' });
  });

  // The SDK's pre-recorded request has no sample_rate field, so raw PCM goes through fetch.
  it('transcribes raw linear16 given encoding and sample_rate, and asks for sample_rate without it', async () => {
    const post = (query: string) =>
      fetch(`${dg.url}/v1/listen?${query}`, {
        method: 'POST',
        headers: { Authorization: `Token ${KEY}`, 'Content-Type': 'application/octet-stream' },
        body: SPEECH_PCM,
      });
    const ok = await post('model=nova-3&encoding=linear16&sample_rate=16000');
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { results: { channels: Results['channel'][] } };
    expect(body.results.channels[0]?.alternatives[0]?.transcript).toBe(
      'alpha bravo charlie delta alpha bravo charlie alpha bravo charlie',
    );
    const refused = await post('model=nova-3&encoding=linear16');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { err_msg: string }).err_msg).toMatch(/sample_rate/);
  });

  it('transcribes a WAV file per speech region', async () => {
    const client = new DeepgramClient({ apiKey: KEY, baseUrl: dg.url });
    const response = (await client.listen.v1.media.transcribeFile(SPEECH_WAV, {
      model: 'nova-3',
      punctuate: true,
    } as never)) as unknown as { results: Results['channel'][]; metadata: { duration: number } } & {
      results: { channels: Results['channel'][] };
    };
    expect(response.results.channels[0]?.alternatives[0]?.transcript).toBe(
      'Alpha bravo charlie delta. Alpha bravo charlie. Alpha bravo charlie.',
    );
    expect(response.metadata.duration).toBeCloseTo(SPEECH_SECONDS, 2);
  });
});
