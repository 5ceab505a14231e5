import { APIConnectionError, APIStatusError, audio, type metrics, tts } from '@agents/core';
import { testSpeechPcm } from '@agents/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TTS } from '../src/index.js';
import { collect, failureOf, KEY, OpenAIStandIn } from './stand-in.js';

const FRAME_SAMPLES = (24_000 * tts.TTS_FRAME_MS) / 1000;
let openai: OpenAIStandIn;

beforeEach(async () => {
  openai = await OpenAIStandIn.start({ apiKey: KEY });
});
afterEach(async () => {
  await openai.close();
});

const connectOptions = { maxRetry: 2, retryIntervalMs: 10, timeoutMs: 2000 };
const speaker = (options: ConstructorParameters<typeof TTS>[0] = {}) =>
  new TTS({ apiKey: KEY, baseURL: openai.url, connectOptions, ...options });

describe('openai.TTS', () => {
  it('streams the PCM as 20 ms frames of 24 kHz mono, as the bytes arrive', async () => {
    // 1010 ms in odd-sized chunks: samples split across chunks, a short last frame.
    openai.scriptSpeech({ audioMs: 1010, chunkBytes: 4801 });
    const model = speaker({ voice: 'nova', speed: 1.25 });
    const seen: metrics.TTSMetrics[] = [];
    model.on('metrics_collected', (m) => m.type !== 'connection' && seen.push(m));

    const frames = await collect(model.synthesize('Hello from the stand-in.'));

    expect(frames.every((f) => f.frame.sampleRate === 24_000 && f.frame.channels === 1)).toBe(true);
    const sizes = frames.map((f) => f.frame.samplesPerChannel);
    expect(sizes.slice(0, -1).every((n) => n === FRAME_SAMPLES)).toBe(true);
    expect(sizes.at(-1)).toBe(240);
    expect(audio.framesDuration(frames.map((f) => f.frame))).toBeCloseTo(1.01, 5);
    // Byte for byte what the service sent: no decoding, no resampling.
    const joined = audio.combineFrames(frames.map((f) => f.frame));
    expect(
      Buffer.from(joined.data.buffer).equals(Buffer.from(testSpeechPcm(1010, 24_000).buffer)),
    ).toBe(true);
    expect(frames[0]!.deltaText).toBe('Hello from the stand-in.');

    expect(openai.requestsTo('speech')[0]!.body).toEqual({
      model: 'tts-1',
      voice: 'nova',
      input: 'Hello from the stand-in.',
      response_format: 'pcm',
      speed: 1.25,
    });
    expect(seen[0]).toMatchObject({ label: 'openai.TTS', cancelled: false, characters: 24 });
    expect(seen[0]!.audioDurationMs).toBeCloseTo(1010, 3);
  });

  it('hands out the first frame before the rest of the audio has arrived', async () => {
    openai.scriptSpeech({ audioMs: 1000, chunkBytes: 4800, chunkDelayMs: 100 });
    const stream = speaker().synthesize('Slowly now.');
    const first = await stream.next();
    expect(first.value?.frame.samplesPerChannel).toBe(FRAME_SAMPLES);
    // The stand-in is still sending the rest.
    expect(openai.requests[0]!.outcome).toBe('pending');
    await stream.close();
    expect(await openai.ended(openai.requests[0]!)).toBe('client_closed');
  });

  it('closes the HTTP request when the synthesis is aborted', async () => {
    openai.scriptSpeech({ audioMs: 3000, chunkBytes: 4800, chunkDelayMs: 100 });
    const abort = new AbortController();
    const frames: tts.SynthesizedAudio[] = [];
    for await (const frame of speaker().synthesize('A long story.', { signal: abort.signal })) {
      frames.push(frame);
      abort.abort();
    }
    expect(frames.length).toBeGreaterThan(0);
    expect(await openai.ended(openai.requests[0]!)).toBe('client_closed');
  });

  it('sends nothing for empty text', async () => {
    const frames = await collect(speaker().synthesize('   '));
    expect(frames).toEqual([]);
    expect(openai.requests).toHaveLength(0);
  });

  it('retries before audio arrives, never after', async () => {
    openai.injectFault('speech', { kind: 'status', status: 503 });
    openai.injectFault('speech', { kind: 'cut', afterChunks: 0 });
    openai.scriptSpeech({ audioMs: 100 }, { audioMs: 300 });
    const frames = await collect(speaker().synthesize('Third time lucky.'));
    expect(audio.framesDuration(frames.map((f) => f.frame))).toBeCloseTo(0.3, 5);
    expect(openai.requestsTo('speech').map((r) => r.outcome)).toEqual([
      'completed',
      'cut',
      'completed',
    ]);

    openai.scriptSpeech({ audioMs: 1000, chunkBytes: 4800 });
    openai.injectFault('speech', { kind: 'cut', afterChunks: 2 });
    const { error, items: played } = await failureOf(speaker().synthesize('Cut short.'));
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(audio.framesDuration(played.map((f) => f.frame))).toBeCloseTo(0.2, 5);
    expect(openai.requestsTo('speech')).toHaveLength(4);
  });

  it('fails for good on a wrong key', async () => {
    const model = new TTS({ apiKey: 'sk-wrong-0000', baseURL: openai.url, connectOptions });
    await expect(collect(model.synthesize('Hi'))).rejects.toSatisfy(
      (error) =>
        error instanceof APIStatusError &&
        error.status === 401 &&
        !error.retryable &&
        /OPENAI_API_KEY/.test(error.message),
    );
    expect(openai.requests).toHaveLength(1);
  });

  it('checks its options when created', () => {
    expect(() => speaker({ speed: 5 })).toThrow(/speed/);
  });
});
