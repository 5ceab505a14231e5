import { audio } from '@agents/core';
import { AudioFrame } from '@livekit/rtc-node';
import { testSpeechPcm } from '../fakes/signal.js';
import { type Exchange, OpenAIHttpError, streamChunks } from './http.js';
import type { OpenAISpeechReply } from './types.js';

/** The real service's PCM: 24 kHz, 16-bit little-endian, mono. */
export const OPENAI_SPEECH_SAMPLE_RATE = 24_000;

const MAX_INPUT_CHARS = 4096;

/**
 * Answers `/v1/audio/speech` with the test speech signal, streamed in chunks as
 * the real service streams its audio. Only `pcm` and `wav` are offered: the
 * stand-in has no MP3 or Opus encoder, and a client that forgets to ask for PCM
 * (the service's default is MP3) should find out here.
 */
export async function handleSpeech(
  exchange: Exchange,
  body: Record<string, unknown>,
  takeReply: () => OpenAISpeechReply | undefined,
): Promise<void> {
  const { input, format, speed } = checkSpeechRequest(body);
  const reply = takeReply() ?? {};
  const audioMs = reply.audioMs ?? Math.max(200, input.length * 60) / speed;
  const pcm = testSpeechPcm(audioMs, OPENAI_SPEECH_SAMPLE_RATE, 1);
  const bytes =
    format === 'wav'
      ? audio.encodeWav(new AudioFrame(pcm, OPENAI_SPEECH_SAMPLE_RATE, 1, pcm.length))
      : new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);

  exchange.record.status = 200;
  exchange.res.writeHead(200, {
    'content-type': format === 'wav' ? 'audio/wav' : 'audio/pcm',
    'x-request-id': exchange.requestId,
  });
  exchange.res.flushHeaders();
  await streamChunks(exchange, chunksOf(bytes, reply.chunkBytes ?? 4801), reply);
}

function checkSpeechRequest(body: Record<string, unknown>) {
  const { model, input, voice, response_format: format = 'mp3', speed = 1 } = body;
  if (typeof model !== 'string' || model === '') {
    throw OpenAIHttpError.missing('model');
  }
  if (typeof input !== 'string' || input === '') {
    throw OpenAIHttpError.missing('input');
  }
  if (input.length > MAX_INPUT_CHARS) {
    throw new OpenAIHttpError(
      400,
      `Invalid 'input': string too long. Expected a string with maximum length ${MAX_INPUT_CHARS}, but got a string with length ${input.length} instead.`,
      { code: 'string_above_max_length', param: 'input' },
    );
  }
  if (typeof voice !== 'string' || voice === '') {
    throw OpenAIHttpError.missing('voice');
  }
  if (format !== 'pcm' && format !== 'wav') {
    throw new OpenAIHttpError(
      400,
      `the stand-in produces response_format 'pcm' or 'wav' only (got ${JSON.stringify(format)}; the service's default is 'mp3')`,
      { param: 'response_format' },
    );
  }
  if (typeof speed !== 'number' || speed < 0.25 || speed > 4) {
    throw new OpenAIHttpError(400, "Invalid 'speed': expected a number between 0.25 and 4.0.", {
      param: 'speed',
    });
  }
  if (body.stream_format !== undefined && body.stream_format !== 'audio') {
    throw new OpenAIHttpError(
      400,
      "the stand-in streams raw audio only: stream_format must be 'audio'",
    );
  }
  return { input, format, speed };
}

function* chunksOf(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  const step = Math.max(1, Math.floor(size));
  for (let offset = 0; offset < bytes.length; offset += step) {
    yield bytes.subarray(offset, offset + step);
  }
}
