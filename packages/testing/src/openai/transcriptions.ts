import { setTimeout as sleep } from 'node:timers/promises';
import { audio } from '@agents/core';
import { cutConnection, type Exchange, OpenAIHttpError, sendJson } from './http.js';
import type { OpenAITranscriptionReply, OpenAIUploadedAudio } from './types.js';

/** The service refuses shorter audio. */
const MIN_AUDIO_MS = 100;
const FORMATS = new Set(['json', 'text', 'verbose_json']);

/**
 * Answers `/v1/audio/transcriptions`: parses the multipart upload, checks that
 * the file is a WAV it can decode (the log then tells a test what audio was
 * sent), and answers with the scripted text or a deterministic one.
 */
export async function handleTranscription(
  exchange: Exchange,
  bytes: Buffer,
  takeReply: () => OpenAITranscriptionReply | undefined,
): Promise<void> {
  const form = await parseMultipart(exchange, bytes);
  const fields: Record<string, string> = {};
  for (const [name, value] of form) if (typeof value === 'string') fields[name] = value;
  exchange.record.body = fields;

  const file = form.get('file');
  if (file === null || typeof file === 'string') {
    throw OpenAIHttpError.missing('file');
  }
  if (!fields.model) {
    throw OpenAIHttpError.missing('model');
  }
  const format = fields.response_format ?? 'json';
  if (!FORMATS.has(format)) {
    throw new OpenAIHttpError(
      400,
      `the stand-in answers response_format json, text or verbose_json (got '${format}')`,
      { param: 'response_format' },
    );
  }
  const upload = await decodeUpload(file);
  exchange.record.upload = upload;

  const reply = takeReply() ?? {
    text: `I heard ${(upload.durationMs / 1000).toFixed(1)} seconds of audio.`,
  };
  const delay = Math.max(
    reply.delayMs ?? 0,
    exchange.fault?.kind === 'slow' ? exchange.fault.firstChunkDelayMs : 0,
  );
  if (delay > 0) await sleep(delay, undefined, { signal: exchange.signal });
  // A transcription is one small body: a cut drops the connection before any of it.
  if (exchange.fault?.kind === 'cut') return cutConnection(exchange);

  if (format === 'text') return sendJson(exchange, 200, `${reply.text}\n`);
  if (format === 'json') return sendJson(exchange, 200, { text: reply.text });
  sendJson(exchange, 200, {
    task: 'transcribe',
    language: reply.language ?? fields.language ?? 'english',
    duration: upload.durationMs / 1000,
    text: reply.text,
    segments: [],
  });
}

async function parseMultipart(exchange: Exchange, bytes: Buffer): Promise<FormData> {
  const contentType = exchange.req.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) {
    throw new OpenAIHttpError(
      400,
      `expected a multipart/form-data upload, got content-type '${contentType}'`,
    );
  }
  try {
    // Node's fetch Response already speaks multipart; no need for a parser of our own.
    return await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    throw new OpenAIHttpError(400, `invalid multipart body: ${(error as Error).message}`);
  }
}

async function decodeUpload(file: File): Promise<OpenAIUploadedAudio> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let frame: ReturnType<typeof audio.decodeWav>;
  try {
    frame = audio.decodeWav(bytes);
  } catch (error) {
    throw new OpenAIHttpError(
      400,
      `Invalid file format. The stand-in accepts WAV only: ${(error as Error).message}`,
      { code: 'invalid_value', param: 'file' },
    );
  }
  const durationMs = (frame.samplesPerChannel / frame.sampleRate) * 1000;
  if (durationMs < MIN_AUDIO_MS) {
    throw new OpenAIHttpError(
      400,
      `Audio file is too short. Minimum audio length is ${MIN_AUDIO_MS / 1000} seconds.`,
      { code: 'audio_too_short', param: 'file' },
    );
  }
  return {
    filename: file.name,
    contentType: file.type,
    bytes: bytes.length,
    sampleRate: frame.sampleRate,
    numChannels: frame.channels,
    samplesPerChannel: frame.samplesPerChannel,
    durationMs,
  };
}
