import type { TranscriberEvent } from './transcriber.js';
import type { DeepgramWord } from './types.js';
import { confidenceOf, modelInfo, round, transcriptOf, wireWords } from './words.js';

/** The query parameters the stand-in acts on; the rest are accepted and ignored, as the service does. */
export interface ListenParams {
  model: string | null;
  encoding: string | null;
  sampleRate: number;
  channels: number;
  interimResults: boolean;
  punctuate: boolean;
  vadEvents: boolean;
  endpointingMs: number | false;
  utteranceEndMs: number | undefined;
}

/** A request the service refuses (HTTP 400), with the message it gives. */
export class ListenParamError extends Error {}

/** The service's default `endpointing` (ms of silence before `speech_final`). */
export const DEFAULT_ENDPOINTING_MS = 10;

/**
 * Reads the parameters of `/v1/listen`. `container`: the rate and channels of a
 * WAV body (pre-recorded), which the service reads from the file itself.
 */
export function parseListenParams(
  query: URLSearchParams,
  container?: { sampleRate: number; channels: number },
): ListenParams {
  const encoding = query.get('encoding');
  if (encoding !== null && encoding !== 'linear16' && !container) {
    throw new ListenParamError(
      `the stand-in decodes encoding=linear16 only (got '${encoding}'); send 16-bit PCM or a WAV file`,
    );
  }
  const rate = query.get('sample_rate');
  if (!container && encoding !== null && rate === null) {
    throw new ListenParamError('sample_rate is required when encoding is set');
  }
  const sampleRate = container?.sampleRate ?? positiveInt(rate ?? '16000', 'sample_rate');
  const channels = container?.channels ?? positiveInt(query.get('channels') ?? '1', 'channels');
  const endpointing = query.get('endpointing');
  const utteranceEnd = query.get('utterance_end_ms');
  return {
    model: query.get('model'),
    encoding,
    sampleRate,
    channels,
    interimResults: bool(query, 'interim_results'),
    punctuate: bool(query, 'punctuate') || bool(query, 'smart_format'),
    vadEvents: bool(query, 'vad_events'),
    endpointingMs:
      endpointing === null
        ? DEFAULT_ENDPOINTING_MS
        : endpointing === 'false'
          ? false
          : endpointing === 'true'
            ? DEFAULT_ENDPOINTING_MS
            : nonNegativeInt(endpointing, 'endpointing'),
    utteranceEndMs:
      utteranceEnd === null ? undefined : nonNegativeInt(utteranceEnd, 'utterance_end_ms'),
  };
}

function bool(query: URLSearchParams, name: string): boolean {
  return query.get(name) === 'true';
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new ListenParamError(`${name} must be a positive whole number (got '${value}')`);
  }
  return n;
}

function nonNegativeInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ListenParamError(`${name} must be a whole number of milliseconds (got '${value}')`);
  }
  return n;
}

function alternative(words: readonly DeepgramWord[], punctuate: boolean) {
  return {
    transcript: transcriptOf(words, punctuate),
    confidence: confidenceOf(words),
    words: wireWords(words, punctuate),
  };
}

/** A live `Results` message, in the full shape of the service's (DGSPEC `ListenV1Results`). */
export function resultsMessage(
  event: Extract<TranscriberEvent, { kind: 'results' }>,
  params: ListenParams,
  requestId: string,
): object {
  const model = modelInfo(params.model);
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: event.duration,
    start: event.start,
    is_final: event.isFinal,
    speech_final: event.speechFinal,
    from_finalize: event.fromFinalize,
    channel: { alternatives: [alternative(event.words, params.punctuate)] },
    metadata: {
      request_id: requestId,
      model_info: { name: model.name, version: model.version, arch: model.arch },
      model_uuid: model.uuid,
    },
  };
}

export interface MetadataFields {
  requestId: string;
  created: Date;
  durationS: number;
  channels: number;
  model: string | null;
}

function metadataBody(fields: MetadataFields, sha256: string) {
  const model = modelInfo(fields.model);
  const processed = fields.durationS > 0;
  return {
    transaction_key: 'deprecated',
    request_id: fields.requestId,
    sha256,
    created: fields.created.toISOString(),
    duration: round(fields.durationS),
    channels: processed ? fields.channels : 0,
    // Captured sessions list the model only once audio was processed.
    models: processed ? [model.uuid] : [],
    model_info: processed
      ? { [model.uuid]: { name: model.name, version: model.version, arch: model.arch } }
      : {},
  };
}

/** The `Metadata` message that ends a live stream. */
export function metadataMessage(fields: MetadataFields): object {
  return { type: 'Metadata', ...metadataBody(fields, 'incomplete') };
}

/** The answer to a pre-recorded request (DGSPEC `ListenV1Response`). */
export function prerecordedResponse(
  fields: MetadataFields,
  sha256: string,
  words: readonly DeepgramWord[],
  punctuate: boolean,
): object {
  return {
    metadata: metadataBody(fields, sha256),
    results: { channels: [{ alternatives: [alternative(words, punctuate)] }] },
  };
}

/** The error body of the v1 API (DGSPEC `ErrorResponseLegacyError`). */
export function errorBody(errCode: string, errMsg: string, requestId: string): string {
  return JSON.stringify({ err_code: errCode, err_msg: errMsg, request_id: requestId });
}

export const INVALID_AUTH = { code: 'INVALID_AUTH', message: 'Invalid credentials.' } as const;
