import { APIError, APIStatusError, plugin } from '@agents/core';
import type { ServerError } from './messages.js';

const KEY_ADVICE = 'check ELEVEN_API_KEY or the apiKey option';

/** Codes of websocket errors that another try would meet again. */
const PERMANENT_CODES = new Set([
  'invalid_api_key',
  'quota_exceeded',
  'voice_not_found',
  'model_not_found',
  'invalid_request',
  'max_character_limit_exceeded',
  'only_for_creator+',
  'payment_required',
]);

const AUTH_CODES = new Set(['invalid_api_key', 'unauthorized', 'auth_error']);

/** An HTTP error answer (or a refused websocket handshake) as a typed error. */
export function httpError(
  status: number,
  bodyText: string,
  header: (name: string) => string | null | undefined,
): APIStatusError {
  const body = parseBody(bodyText);
  const detail = describeDetail(body) ?? (bodyText.slice(0, 300) || `HTTP ${status}`);
  const auth = status === 401 || status === 403;
  const message = auth
    ? `ElevenLabs rejected the API key (${status}: ${detail}): ${KEY_ADVICE}`
    : `ElevenLabs answered ${status}: ${detail}`;
  return new APIStatusError(message, {
    status,
    body,
    requestId: header('request-id') ?? header('x-request-id') ?? undefined,
    retryAfterMs: plugin.parseRetryAfter(header('retry-after')),
    // A wrong key stays wrong; other 4xx fail the same way again.
    retryable: auth ? false : plugin.isRetryableStatus(status),
  });
}

/** A websocket error message: an auth failure names the key; known permanent codes are not retried. */
export function serverError(error: ServerError): APIError {
  const code = error.error ?? '';
  if (AUTH_CODES.has(code) || /api key/i.test(error.message)) {
    return new APIStatusError(`ElevenLabs rejected the API key (${error.message}): ${KEY_ADVICE}`, {
      status: 401,
      body: error,
      retryable: false,
    });
  }
  return new APIError(
    `ElevenLabs failed the synthesis: ${error.message}${code ? ` (${code})` : ''}`,
    {
      body: error,
      retryable: !PERMANENT_CODES.has(code),
    },
  );
}

export function isAuthError(error: APIError): boolean {
  return error instanceof APIStatusError && (error.status === 401 || error.status === 403);
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `{"detail":{"status","message"}}` or the validation form `{"detail":[{"loc","msg"}]}`. */
function describeDetail(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`)
      .join('; ');
  }
  if (typeof detail === 'object' && detail !== null) {
    const { status, message } = detail as { status?: string; message?: string };
    if (message) return status ? `${message} (${status})` : message;
  }
  return undefined;
}
