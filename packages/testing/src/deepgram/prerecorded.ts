import { createHash } from 'node:crypto';
import { audio } from '@agents/core';
import type { ListenError } from './http.js';
import { ListenParamError, parseListenParams, prerecordedResponse } from './messages.js';
import { Transcriber } from './transcriber.js';
import type { DeepgramWord } from './types.js';

/** What a pre-recorded request's body turned into: the JSON answer, or the error to send. */
export type PrerecordedOutcome = { body: string } | { error: ListenError };

const UNSUPPORTED_AUDIO: ListenError = {
  status: 400,
  code: 'Bad Request',
  message: 'Bad Request: failed to process audio: corrupt or unsupported data',
};

/**
 * Transcribes the body of `POST /v1/listen` with the same detector and words as
 * a live stream: a WAV file (rate and channels from its header), or raw
 * 16-bit PCM with `encoding=linear16&sample_rate=...`. A `{"url": ...}` body is
 * refused: the stand-in has no internet to fetch it from.
 */
export function transcribePrerecorded(
  body: Buffer,
  contentType: string,
  query: URLSearchParams,
  requestId: string,
  takeScript: () => string | undefined,
): PrerecordedOutcome {
  if (contentType.startsWith('application/json')) return { error: urlBodyError(body) };
  let pcm: Buffer;
  let container: { sampleRate: number; channels: number } | undefined;
  if (body.subarray(0, 4).toString('latin1') === 'RIFF') {
    let frame: ReturnType<typeof audio.decodeWav>;
    try {
      frame = audio.decodeWav(body);
    } catch (error) {
      return {
        error: {
          ...UNSUPPORTED_AUDIO,
          message: `${UNSUPPORTED_AUDIO.message} (${(error as Error).message})`,
        },
      };
    }
    pcm = Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
    container = { sampleRate: frame.sampleRate, channels: frame.channels };
  } else if (query.get('encoding') === 'linear16') {
    pcm = body;
  } else {
    return {
      error: {
        ...UNSUPPORTED_AUDIO,
        message: `${UNSUPPORTED_AUDIO.message} (the stand-in reads WAV files, or raw PCM with encoding=linear16&sample_rate=...)`,
      },
    };
  }
  let params: ReturnType<typeof parseListenParams>;
  try {
    params = parseListenParams(query, container);
  } catch (error) {
    if (!(error instanceof ListenParamError)) throw error;
    return { error: { status: 400, code: 'INVALID_QUERY_PARAMETER', message: error.message } };
  }
  const words: DeepgramWord[] = [];
  const transcriber = new Transcriber({
    sampleRate: params.sampleRate,
    channels: params.channels,
    interimResults: false,
    vadEvents: false,
    endpointingMs: params.endpointingMs,
    utteranceEndMs: undefined,
    takeScript,
    emit: (event) => {
      if (event.kind === 'results' && event.isFinal) words.push(...event.words);
    },
  });
  transcriber.push(pcm);
  transcriber.end();
  const fields = {
    requestId,
    created: new Date(),
    durationS: transcriber.audioSeconds,
    channels: params.channels,
    model: params.model,
  };
  const sha256 = createHash('sha256').update(body).digest('hex');
  return { body: JSON.stringify(prerecordedResponse(fields, sha256, words, params.punctuate)) };
}

function urlBodyError(body: Buffer): ListenError {
  let url: unknown;
  try {
    url = (JSON.parse(body.toString('utf8')) as { url?: unknown }).url;
  } catch {
    return {
      status: 400,
      code: 'Bad Request',
      message: 'Bad Request: the JSON body could not be parsed',
    };
  }
  if (typeof url !== 'string') {
    return {
      status: 400,
      code: 'Bad Request',
      message: 'Bad Request: a JSON body must hold {"url": "..."}',
    };
  }
  return {
    status: 400,
    code: 'REMOTE_CONTENT_ERROR',
    message: `The stand-in has no internet access and cannot fetch ${url}; send the audio bytes in the body instead (transcribeFile, not transcribeUrl).`,
  };
}
