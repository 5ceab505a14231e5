// The multi-context websocket protocol (multi-stream-input): what we send and what we read.
import type { Alignment } from './alignment.js';
import { type ResolvedOptions, voiceSettingsBody } from './options.js';

/** Query of the websocket URL. Alignment is always asked for: it becomes word timings. */
export function streamURL(options: ResolvedOptions): string {
  const url = new URL(
    `${options.baseURL}/text-to-speech/${encodeURIComponent(options.voice)}/multi-stream-input`,
  );
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = url.searchParams;
  query.set('model_id', options.model);
  query.set('output_format', options.encoding);
  if (options.languageCode) query.set('language_code', options.languageCode);
  query.set('inactivity_timeout', String(options.inactivityTimeout));
  query.set('sync_alignment', 'true');
  return url.toString();
}

/**
 * Opens a context. The text must be a single space. Voice settings go with
 * every context, identical each time: the service closes a socket whose
 * settings change after its first message.
 */
export function openContextMessage(contextId: string, options: ResolvedOptions): string {
  const message: Record<string, unknown> = {
    text: ' ',
    voice_settings: voiceSettingsBody(options.voiceSettings),
    context_id: contextId,
  };
  if (options.chunkLengthSchedule) {
    message.generation_config = { chunk_length_schedule: options.chunkLengthSchedule };
  }
  return JSON.stringify(message);
}

export function textMessage(contextId: string, text: string, flush = false): string {
  return JSON.stringify(
    flush ? { text, context_id: contextId, flush: true } : { text, context_id: contextId },
  );
}

/** Empty text is ignored by the service but resets the context's inactivity clock. */
export function keepaliveMessage(contextId: string): string {
  return JSON.stringify({ text: '', context_id: contextId });
}

/** Generates what is left, then ends the context with `isFinal`. */
export function closeContextMessage(contextId: string): string {
  return JSON.stringify({ context_id: contextId, close_context: true });
}

export const CLOSE_SOCKET_MESSAGE = JSON.stringify({ close_socket: true });

export interface ServerError {
  message: string;
  /** The service's code: `input_timeout_exceeded`, `max_active_conversations`, `invalid_api_key`... */
  error: string | undefined;
  code: number | undefined;
}

export interface ServerMessage {
  contextId: string | undefined;
  /** Encoded audio (PCM or MP3 per output_format); absent on the final message. */
  audio: Buffer | undefined;
  isFinal: boolean;
  /** Over the text as spoken (numbers expanded): what the words shown follow. */
  normalized: Alignment | undefined;
  /** Over the text as sent: what tells exactly which characters the audio covers. */
  original: Alignment | undefined;
  error: ServerError | undefined;
}

/** Reads a server message; undefined if it is not a JSON object. */
export function parseServerMessage(data: string | Uint8Array): ServerMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const m = json as Record<string, unknown>;
  // The spec spells both; traffic has `contextId`, errors `context_id`.
  const contextId = str(m.contextId) ?? str(m.context_id);
  const error =
    m.error !== undefined && m.error !== null
      ? {
          message: str(m.message) ?? str(m.error) ?? 'unknown error',
          error: str(m.error),
          code: typeof m.code === 'number' ? m.code : undefined,
        }
      : undefined;
  const audio = str(m.audio);
  return {
    contextId,
    audio: audio ? Buffer.from(audio, 'base64') : undefined,
    isFinal: m.isFinal === true || m.is_final === true,
    normalized: readAlignment(m.normalizedAlignment),
    original: readAlignment(m.alignment),
    error,
  };
}

function readAlignment(value: unknown): Alignment | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const a = value as Record<string, unknown>;
  const chars = a.chars;
  // The spec's examples say `charsStartTimesMs`/`charsDurationsMs`; the wire says `char...`.
  const startsMs = a.charStartTimesMs ?? a.charsStartTimesMs;
  const durationsMs = a.charDurationsMs ?? a.charsDurationsMs;
  if (!Array.isArray(chars) || !Array.isArray(startsMs) || !Array.isArray(durationsMs)) {
    return undefined;
  }
  if (chars.length !== startsMs.length || chars.length !== durationsMs.length) return undefined;
  if (!chars.every((c) => typeof c === 'string')) return undefined;
  if (![...startsMs, ...durationsMs].every((t) => typeof t === 'number' && Number.isFinite(t))) {
    return undefined;
  }
  return { chars, startsMs, durationsMs } as Alignment;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
