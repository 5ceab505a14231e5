import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIConnectionError, APIError, APIStatusError } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { TTS } from '../src/index.js';
import { KEY, setup, syntheticSeconds } from './helpers.js';

const TEXT = 'Good morning, and welcome.';

describe('TTS.synthesize() and listVoices() against the ElevenLabs stand-in', () => {
  it('streams PCM frames from the HTTP endpoint, with the options in the request', async () => {
    await using env = await setup(
      { latency: { chunkIntervalMs: 5 } },
      { voiceSettings: { stability: 0.4, speed: 1.1 }, languageCode: 'en', encoding: 'pcm_16000' },
    );
    const frames = [];
    for await (const audio of env.model.synthesize(TEXT)) frames.push(audio.frame);
    // The stand-in sends ~250 ms pieces cut off sample boundaries: frames follow as they come.
    expect(frames.length).toBeGreaterThan(10);
    expect(frames.every((f) => f.sampleRate === 16_000 && f.channels === 1)).toBe(true);
    const seconds = frames.reduce((s, f) => s + f.samplesPerChannel / f.sampleRate, 0);
    expect(seconds).toBeCloseTo(syntheticSeconds(TEXT), 2);
    const [request] = env.el.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL/stream',
      body: {
        text: TEXT,
        model_id: 'eleven_flash_v2_5',
        voice_settings: { stability: 0.4, speed: 1.1 },
        language_code: 'en',
      },
    });
    expect(request!.query.get('output_format')).toBe('pcm_16000');
    expect(request!.headers['xi-api-key']).toBe(KEY);
  });

  it('retries a request that broke before any audio', async () => {
    await using env = await setup();
    env.el.injectFault('drop', { afterAudioMs: 0 });
    const speech = await env.model.synthesize(TEXT).collect();
    expect(speech.samplesPerChannel / speech.sampleRate).toBeCloseTo(syntheticSeconds(TEXT), 2);
    expect(env.el.requests).toHaveLength(2);
  });

  it('does not retry once audio went out: a retryable APIConnectionError instead', async () => {
    await using env = await setup();
    env.el.injectFault('drop', { afterAudioMs: 300 });
    const error = await env.model
      .synthesize(TEXT)
      .collect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIError).retryable).toBe(true);
    expect(env.el.requests).toHaveLength(1);
  });

  it('rejects a 2xx answer that is not audio, naming its content type', async () => {
    await using env = await setup();
    env.el.injectFault('malformed');
    const error = await env.model
      .synthesize(TEXT)
      .collect()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as Error).message).toMatch(/application\/json/);
    expect(env.el.requests).toHaveLength(1);
  });

  it('fails at once on a wrong key, naming ELEVEN_API_KEY', async () => {
    await using env = await setup({}, { apiKey: 'wrong' });
    for (const attempt of [
      () => env.model.synthesize(TEXT).collect(),
      () => env.model.listVoices(),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIStatusError);
      expect(error).toMatchObject({ status: 401, retryable: false });
      expect((error as Error).message).toMatch(/ELEVEN_API_KEY/);
    }
    expect(env.el.requests).toHaveLength(2);
  });

  it('lists the voices of the account', async () => {
    await using env = await setup();
    const voices = await env.model.listVoices();
    expect(voices.map((v) => v.id)).toContain('EXAVITQu4vr4xnSDxMaL');
    expect(voices[0]).toMatchObject({ name: expect.any(String), category: 'premade' });
    expect(voices[0]!.labels).toHaveProperty('accent');
  });
});

describe('MP3 encodings', () => {
  // Made with LAME by the codecs tests: 1.12 s of speech, 22.05 kHz mono.
  const mp3 = readFileSync(
    new URL('../../../packages/core/test/fixtures/speech-hello-22khz-mono.mp3', import.meta.url),
  );

  it('decodes an MP3 answer as it streams into frames at the rate of the encoding', async () => {
    // The stand-in serves PCM only: a server of our own sends MP3, in small pieces.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      for (let at = 0; at < mp3.length; at += 1000) res.write(mp3.subarray(at, at + 1000));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const model = new TTS({
      apiKey: 'k',
      baseURL: `http://127.0.0.1:${port}/v1`,
      encoding: 'mp3_22050_32',
    });
    try {
      const speech = await model.synthesize('Hello').collect();
      expect(speech.sampleRate).toBe(22_050);
      expect(speech.channels).toBe(1);
      expect(speech.samplesPerChannel / speech.sampleRate).toBeCloseTo(1.12, 1);
    } finally {
      await model.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
