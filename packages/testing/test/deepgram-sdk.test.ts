import { DeepgramClient } from '@deepgram/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeepgramStandIn, scaledMs } from '../src/index.js';
import {
  chunks,
  EDGE_TOLERANCE_S,
  SPEECH_PCM,
  SPEECH_REGIONS,
  SPEECH_SECONDS,
  SPEECH_WAV,
} from './fixtures/deepgram/speech.js';

const KEY = 'dg-test-key';

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

function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), scaledMs(ms)).unref(),
    ),
  ]);
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
    await within(socket.waitForOpen(), 'open');
    for (const chunk of chunks()) socket.sendMedia(chunk);
    socket.sendKeepAlive({ type: 'KeepAlive' });
    socket.sendCloseStream({ type: 'CloseStream' });
    const close = await within(closed, 'close');
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

describe('@deepgram/sdk against the stand-in: pre-recorded', () => {
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
