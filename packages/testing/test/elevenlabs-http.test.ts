import { describe, expect, it } from 'vitest';
import { MS_PER_CHARACTER } from '../src/elevenlabs/index.js';
import {
  KEY,
  LIVEKIT_QUERY,
  LIVEKIT_VOICE,
  RawClient,
  standInPerTest,
} from './elevenlabs-client.js';

const env = standInPerTest();

/** What LiveKit's `synthesize()` posts (providers-wire §5.5). */
function postSpeech(
  text: string,
  { key = KEY, format = 'pcm_24000', prefix = '/v1', stream = true } = {},
): Promise<Response> {
  const path = `${prefix}/text-to-speech/${LIVEKIT_VOICE}${stream ? '/stream' : ''}`;
  return fetch(`${env.el.url}${path}?output_format=${format}&enable_logging=true`, {
    method: 'POST',
    headers: { 'xi-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({
      text,
      model_id: 'eleven_turbo_v2_5',
      voice_settings: {},
      apply_text_normalization: 'auto',
    }),
  });
}

describe('ElevenLabsStandIn HTTP', () => {
  it('streams raw PCM of a length proportional to the text, in chunks', async () => {
    const text = 'Hello from the stream endpoint.';
    const response = await postSpeech(text);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^audio\//);
    expect(response.headers.get('content-length')).toBeNull(); // chunked
    let chunks = 0;
    let bytes = 0;
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      chunks += 1;
      bytes += chunk.length;
    }
    expect(chunks).toBeGreaterThan(1);
    expect(bytes).toBe(Math.round((24_000 * MS_PER_CHARACTER) / 1000) * text.length * 2);
    expect(env.el.requests[0]).toMatchObject({
      method: 'POST',
      path: `/v1/text-to-speech/${LIVEKIT_VOICE}/stream`,
      status: 200,
      body: { text, model_id: 'eleven_turbo_v2_5' },
    });
  });

  it('answers the non-streaming endpoint and the bare path the same way', async () => {
    const whole = await postSpeech('Whole.', { stream: false, prefix: '' });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-length')).toBe(
      String(Math.round((24_000 * MS_PER_CHARACTER) / 1000) * 'Whole.'.length * 2),
    );
    expect((await whole.arrayBuffer()).byteLength).toBe(
      Number(whole.headers.get('content-length')),
    );
  });

  it('refuses a wrong or missing key with the service 401 bodies', async () => {
    const wrong = await postSpeech('Hi.', { key: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      detail: { status: 'invalid_api_key', message: 'Invalid API key' },
    });
    const missing = await fetch(`${env.el.url}/v1/voices`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ detail: { status: 'needs_authorization' } });
  });

  it('says it serves PCM only when asked for MP3 (the default) or another codec', async () => {
    const mp3 = await postSpeech('Hi.', { format: 'mp3_44100_128' });
    expect(mp3.status).toBe(400);
    expect(((await mp3.json()) as { detail: { message: string } }).detail.message).toMatch(
      /serves PCM only.*pcm_24000/,
    );
    const typo = await postSpeech('Hi.', { format: 'pcm_1234' });
    expect(typo.status).toBe(422);
  });

  it('rejects a body without text as FastAPI does', async () => {
    const response = await postSpeech('');
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      detail: [{ loc: ['body', 'text'], msg: 'Field required', type: 'missing' }],
    });
  });

  it('lists voices with the fields the service requires', async () => {
    for (const prefix of ['/v1', '']) {
      const response = await fetch(`${env.el.url}${prefix}/voices`, {
        headers: { 'xi-api-key': KEY },
      });
      expect(response.status).toBe(200);
      const { voices } = (await response.json()) as { voices: Record<string, unknown>[] };
      expect(voices.length).toBeGreaterThanOrEqual(3);
      for (const voice of voices) {
        for (const field of [
          'voice_id',
          'name',
          'category',
          'labels',
          'available_for_tiers',
          'high_quality_base_model_ids',
        ]) {
          expect(voice).toHaveProperty(field);
        }
      }
      expect(voices.map((v) => v.voice_id)).toContain(LIVEKIT_VOICE);
    }
  });
});

describe('ElevenLabsStandIn websocket auth', () => {
  const url = () =>
    `${env.el.wsUrl}/v1/text-to-speech/${LIVEKIT_VOICE}/multi-stream-input?${LIVEKIT_QUERY}`;

  it('refuses the upgrade for a wrong xi-api-key with the 401 body', async () => {
    const error = await RawClient.connect(url(), { 'xi-api-key': 'wrong' }).catch((e) => e);
    expect(error).toMatchObject({ status: 401 });
    expect(JSON.parse(error.body)).toEqual({
      detail: { status: 'invalid_api_key', message: 'Invalid API key' },
    });
    expect(env.el.connections).toEqual([]);
  });

  it('takes the key from the first message when the upgrade has none', async () => {
    const client = await RawClient.connect(url());
    client.send({ text: ' ', context_id: 'k', xi_api_key: KEY });
    client.send({ text: 'Keyed. ', context_id: 'k', flush: true });
    client.send({ context_id: 'k', close_context: true });
    await client.waitFor((m) => m.isFinal === true, 'isFinal');
    client.ws.close();
  });

  it('closes 1008 with an error message when no key comes at all', async () => {
    const client = await RawClient.connect(url());
    client.send({ text: ' ', context_id: 'k' });
    const { code } = await client.closed;
    expect(code).toBe(1008);
    expect(client.messages).toEqual([
      expect.objectContaining({ error: 'invalid_api_key', code: 1008 }),
    ]);
  });

  it('can answer a wrong key after the upgrade instead, as third-party logs show', async () => {
    await env.restart({ socketAuthFailure: 'close-1008' });
    const client = await RawClient.connect(url(), { 'xi-api-key': 'wrong' });
    const { code, reason } = await client.closed;
    expect(code).toBe(1008);
    expect(reason).toBe('Invalid API key.');
    expect(client.messages[0]).toMatchObject({ error: 'invalid_api_key' });
  });

  it('refuses an MP3 output format at the upgrade, naming what it serves', async () => {
    const mp3 = url().replace('pcm_22050', 'mp3_44100_128');
    const error = await RawClient.connect(mp3, { 'xi-api-key': KEY }).catch((e) => e);
    expect(error).toMatchObject({ status: 400 });
    expect(error.body).toMatch(/serves PCM only/);
  });
});
