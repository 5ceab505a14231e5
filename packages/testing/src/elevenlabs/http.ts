import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pcmRateOf, synthesizePcm, UnservedFormatError } from './audio.js';
import type { ElevenLabsArmedFault, ElevenLabsLatency, ElevenLabsRequest } from './types.js';

/** An HTTP failure with the body the service sends for it. */
export class ElevenLabsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: object,
  ) {
    super(`HTTP ${status}`);
  }

  /** `{"detail": {"status", "message"}}`: the service's shape for 400/401/403/429. */
  static detail(status: number, code: string, message: string): ElevenLabsHttpError {
    return new ElevenLabsHttpError(status, { detail: { status: code, message } });
  }

  /** FastAPI's validation error: `{"detail": [{loc, msg, type}]}`. */
  static validation(loc: string[], msg: string, type: string): ElevenLabsHttpError {
    return new ElevenLabsHttpError(422, { detail: [{ loc, msg, type }] });
  }

  static invalidKey(): ElevenLabsHttpError {
    return ElevenLabsHttpError.detail(401, 'invalid_api_key', 'Invalid API key');
  }

  static missingKey(): ElevenLabsHttpError {
    return ElevenLabsHttpError.detail(
      401,
      'needs_authorization',
      'Neither authorization header nor xi-api-key received, please provide one.',
    );
  }

  static fromFormat(error: UnservedFormatError): ElevenLabsHttpError {
    return error.status === 422
      ? ElevenLabsHttpError.validation(['query', 'output_format'], error.message, 'enum')
      : ElevenLabsHttpError.detail(400, 'unsupported_output_format', error.message);
  }
}

/** What the speech handlers need from the stand-in. */
export interface SpeechContext {
  req: IncomingMessage;
  res: ServerResponse;
  record: ElevenLabsRequest;
  fault: ElevenLabsArmedFault | undefined;
  latency: ElevenLabsLatency;
  /** Aborts when the client goes away or the stand-in closes. */
  signal: AbortSignal;
  scriptedPcm(text: string, sampleRate: number): Int16Array | undefined;
}

const MAX_TEXT_CHARS = 10_000;

/**
 * `POST …/text-to-speech/{voice}/stream` (`streamed`) and
 * `POST …/text-to-speech/{voice}`: the whole text as raw PCM. The stream
 * goes out in chunks of ~250 ms paced like the websocket's audio, each one
 * byte off a sample boundary, as TCP would split it; a client must join them.
 */
export async function handleSpeech(ctx: SpeechContext, streamed: boolean): Promise<void> {
  const { res, record, fault, latency, signal } = ctx;
  const body = record.body;
  const text =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>).text : undefined;
  if (typeof text !== 'string' || text.trim() === '') {
    throw ElevenLabsHttpError.validation(['body', 'text'], 'Field required', 'missing');
  }
  if (text.length > MAX_TEXT_CHARS) {
    throw ElevenLabsHttpError.detail(
      400,
      'max_character_limit_exceeded',
      `Text is too long: ${text.length} characters (at most ${MAX_TEXT_CHARS} per request).`,
    );
  }
  let sampleRate: number;
  try {
    sampleRate = pcmRateOf(record.query.get('output_format'));
  } catch (error) {
    if (error instanceof UnservedFormatError) throw ElevenLabsHttpError.fromFormat(error);
    throw error;
  }
  const pcm = ctx.scriptedPcm(text, sampleRate) ?? synthesizePcm(Array.from(text), sampleRate);
  const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);

  if (fault?.fault === 'malformed') {
    // A 200 that is not audio, as a misconfigured proxy answers: clients must check Content-Type.
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"detail":{"status":"system_busy","message":"upstream overloaded"');
    return;
  }
  record.status = 200;
  res.writeHead(200, {
    // The real Content-Type for pcm_* is unverified; clients require `audio/`.
    'content-type': 'audio/pcm',
    'request-id': `standin-${record.path.length}-${Date.now().toString(36)}`,
    'current-concurrent-requests': '1',
    'maximum-concurrent-requests': '10',
    ...(streamed ? {} : { 'content-length': String(bytes.length) }),
  });
  res.flushHeaders();

  const delay = latency.firstAudioMs + (fault?.fault === 'slow-first-byte' ? fault.delayMs : 0);
  if (delay > 0) await sleep(delay, undefined, { signal });
  const bytesPerMs = (sampleRate * 2) / 1000;
  const limit =
    fault?.fault === 'drop' || fault?.fault === 'stall'
      ? Math.floor(fault.afterAudioMs * bytesPerMs)
      : bytes.length;
  const chunkBytes = streamed ? Math.round(250 * bytesPerMs) + 1 : bytes.length;
  let sent = 0;
  while (sent < Math.min(limit, bytes.length)) {
    if (sent > 0 && latency.chunkIntervalMs > 0) {
      await sleep(latency.chunkIntervalMs, undefined, { signal });
    }
    const end = Math.min(sent + chunkBytes, limit, bytes.length);
    await write(res, bytes.subarray(sent, end), signal);
    sent = end;
  }
  if (sent >= bytes.length) {
    res.end();
  } else if (fault?.fault === 'drop') {
    res.destroy();
  }
  // A stall leaves the response open: it ends when the client gives up or the stand-in closes.
}

function write(res: ServerResponse, chunk: Uint8Array, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(chunk, (error) => {
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    });
  });
}

/** A few fixed voices with the fields `GetVoicesResponseModel` requires. */
export const VOICES = [
  voice('bIHbv24MWmeRgasZH58o', 'Stand-in Will', 'male', 'american', 'friendly'),
  voice('EXAVITQu4vr4xnSDxMaL', 'Stand-in Sarah', 'female', 'american', 'soft'),
  voice('standin0000000000000', 'Stand-in Tone', 'neutral', 'none', 'a 150 Hz test vowel'),
];

function voice(voiceId: string, name: string, gender: string, accent: string, description: string) {
  return {
    voice_id: voiceId,
    name,
    category: 'premade',
    labels: { gender, accent, description, age: 'middle_aged', use_case: 'conversational' },
    description: `${description} (ElevenLabs stand-in; every voice sounds the same here)`,
    preview_url: null,
    available_for_tiers: [],
    settings: null,
    high_quality_base_model_ids: [
      'eleven_turbo_v2_5',
      'eleven_flash_v2_5',
      'eleven_multilingual_v2',
    ],
    samples: null,
    fine_tuning: null,
    sharing: null,
    verified_languages: [],
    is_owner: false,
    is_legacy: false,
    is_mixed: false,
    created_at_unix: null,
  };
}

export function sendJson(
  res: ServerResponse,
  record: ElevenLabsRequest,
  status: number,
  body: unknown,
): void {
  record.status = status;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
