import { audio } from '@agents/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testSpeechFrame, testSpeechPcm } from '../src/index.js';
import { OPENAI_SPEECH_SAMPLE_RATE, OpenAIStandIn } from '../src/openai/index.js';

const KEY = 'sk-standin-test';
const auth = { authorization: `Bearer ${KEY}` };
let openai: OpenAIStandIn;

beforeEach(async () => {
  openai = await OpenAIStandIn.start({ apiKey: KEY });
});
afterEach(async () => {
  await openai.close();
});

function speech(body: object): Promise<Response> {
  return fetch(`${openai.url}/audio/speech`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tts-1', voice: 'alloy', response_format: 'pcm', ...body }),
  });
}

/** Reads a body chunk by chunk, as a streaming client does. */
async function readChunks(response: Response): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body!) chunks.push(chunk);
  return chunks;
}

function transcribe(file: Blob, fields: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  form.set('file', file, 'speech.wav');
  form.set('model', 'whisper-1');
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return fetch(`${openai.url}/audio/transcriptions`, { method: 'POST', headers: auth, body: form });
}

describe('OpenAIStandIn speech', () => {
  it('streams the test signal as 24 kHz 16-bit mono PCM, in chunks', async () => {
    openai.scriptSpeech({ audioMs: 500, chunkBytes: 4801, chunkDelayMs: 10 });
    const response = await speech({ input: 'Hello there.' });
    expect(response.status).toBe(200);
    const chunks = await readChunks(response);
    const bytes = Buffer.concat(chunks);
    expect(OPENAI_SPEECH_SAMPLE_RATE).toBe(24_000);
    expect(bytes.length).toBe(24_000 * 0.5 * 2);
    const expected = testSpeechPcm(500, 24_000);
    expect(bytes.equals(Buffer.from(expected.buffer))).toBe(true);
    // Without the pauses loopback would merge the writes; with them, pieces arrive apart.
    expect(chunks.length).toBeGreaterThan(1);
    expect(openai.requests[0]!.body).toMatchObject({ input: 'Hello there.', voice: 'alloy' });
  });

  it('derives the length from the input and the speed without a script', async () => {
    const input = 'x'.repeat(20);
    const normal = Buffer.concat(await readChunks(await speech({ input })));
    const fast = Buffer.concat(await readChunks(await speech({ input, speed: 2 })));
    expect(normal.length).toBe(24_000 * 1.2 * 2);
    expect(fast.length).toBe(normal.length / 2);
  });

  it('can answer as WAV', async () => {
    const bytes = Buffer.concat(
      await readChunks(await speech({ input: 'Hi', response_format: 'wav' })),
    );
    const frame = audio.decodeWav(bytes);
    expect(frame.sampleRate).toBe(24_000);
    expect(frame.samplesPerChannel).toBe(24_000 * 0.2);
  });

  it.each([
    ["the service's default format (mp3)", { response_format: undefined }, /mp3/],
    ['empty input', { input: '' }, /input/],
    ['no voice', { voice: undefined }, /voice/],
    ['a speed out of range', { speed: 5 }, /speed/],
  ])('rejects %s with 400', async (_, body, message) => {
    const response = await speech({ input: 'Hello', ...body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      message,
    );
  });
});

describe('OpenAIStandIn transcriptions', () => {
  it('decodes the uploaded WAV, logs it and answers with the script', async () => {
    openai.scriptTranscription({ text: 'Book a table for two.' });
    const wav = audio.encodeWav(testSpeechFrame(1500, 16_000));
    const response = await transcribe(new Blob([wav], { type: 'audio/wav' }), {
      language: 'en',
      prompt: 'restaurants',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ text: 'Book a table for two.' });
    const request = openai.requestsTo('transcriptions')[0]!;
    expect(request.body).toEqual({ model: 'whisper-1', language: 'en', prompt: 'restaurants' });
    expect(request.upload).toMatchObject({
      filename: 'speech.wav',
      contentType: 'audio/wav',
      sampleRate: 16_000,
      numChannels: 1,
      samplesPerChannel: 24_000,
      durationMs: 1500,
    });
  });

  it('answers any valid upload without a script, in the format asked for', async () => {
    const wav = new Blob([audio.encodeWav(testSpeechFrame(2000, 24_000))]);
    const json = (await (await transcribe(wav)).json()) as { text: string };
    expect(json.text).toBe('I heard 2.0 seconds of audio.');
    const text = await (await transcribe(wav, { response_format: 'text' })).text();
    expect(text.trim()).toBe(json.text);
    const verbose = await (await transcribe(wav, { response_format: 'verbose_json' })).json();
    expect(verbose).toMatchObject({ task: 'transcribe', duration: 2, text: json.text });
  });

  it('rejects what is not a WAV, audio that is too short, and a missing file', async () => {
    const mp3 = await transcribe(new Blob([Buffer.from('ID3\x03\x00fake mp3 data')]));
    expect(mp3.status).toBe(400);
    expect(JSON.stringify(await mp3.json())).toMatch(/WAV only: not a WAV file: found an MP3/);

    const short = await transcribe(new Blob([audio.encodeWav(testSpeechFrame(50, 16_000))]));
    expect(short.status).toBe(400);
    expect(JSON.stringify(await short.json())).toMatch(/too short/);

    const form = new FormData();
    form.set('model', 'whisper-1');
    const none = await fetch(`${openai.url}/audio/transcriptions`, {
      method: 'POST',
      headers: auth,
      body: form,
    });
    expect(none.status).toBe(400);
    expect(JSON.stringify(await none.json())).toMatch(/'file'/);
  });
});
