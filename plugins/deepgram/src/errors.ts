import {
  APIConnectionError,
  type APIError,
  APIStatusError,
  APITimeoutError,
  plugin,
  type utils,
} from '@agents/core';
import type { DeepgramError, DeepgramTimeoutError } from '@deepgram/sdk';

/**
 * The SDK's error classes, from whoever loaded the SDK. Importing it here, for `instanceof`,
 * would cost every agent that imports the plugin about half a second, streaming or not; an
 * SDK error only exists once the SDK is loaded, so its loader hands the classes over.
 */
export interface SdkErrors {
  DeepgramError: typeof DeepgramError;
  DeepgramTimeoutError: typeof DeepgramTimeoutError;
}

const KEY_ADVICE = 'check DEEPGRAM_API_KEY or the apiKey option';

/** Deepgram's error body, `{err_code, err_msg, request_id}`, as far as it has one. */
function describeBody(body: unknown): { message?: string; requestId?: string } {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { message: body.slice(0, 300) || undefined };
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { err_msg, err_code, message, request_id } = parsed as Record<string, unknown>;
  const text = [err_code, err_msg ?? message].filter((p) => typeof p === 'string').join(': ');
  return {
    message: text || undefined,
    requestId: typeof request_id === 'string' ? request_id : undefined,
  };
}

/**
 * The error for a status Deepgram answered with, on the websocket handshake or
 * the pre-recorded POST alike. 401/403 are permanent and name the key; 400
 * is permanent too (an option the service refuses, named in its message).
 */
export function statusError(
  status: number,
  body: unknown,
  header: (name: string) => string | undefined,
  cause?: unknown,
): APIStatusError {
  const described = describeBody(body);
  const detail = described.message ?? header('dg-error') ?? `HTTP ${status}`;
  const requestId = described.requestId ?? header('dg-request-id');
  let message = `Deepgram answered ${status} (${detail})`;
  let retryable: boolean | undefined;
  if (status === 401 || status === 403) {
    message = `Deepgram rejected the API key (${detail}): ${KEY_ADVICE}`;
    retryable = false;
  } else if (status === 400) {
    message = `Deepgram refused the request (${detail}): check the STT options`;
    retryable = false;
  }
  return new APIStatusError(message, {
    status,
    requestId,
    retryAfterMs: plugin.parseRetryAfter(header('retry-after')),
    body,
    retryable,
    cause,
  });
}

/** For `ReconnectingSocket.describeRefusal`: a refused websocket handshake. */
export function describeRefusal(refusal: plugin.HandshakeRefusal): APIError {
  return statusError(refusal.status, refusal.body, (name) => {
    const value = refusal.headers[name];
    return Array.isArray(value) ? value[0] : value;
  });
}

/** The core's typed error for what the SDK's REST client threw. */
export function toAPIError(error: unknown, deadline: utils.IdleDeadline, sdk: SdkErrors): unknown {
  if (deadline.timedOut) return deadline.timeoutError(error);
  if (error instanceof sdk.DeepgramTimeoutError) {
    return new APITimeoutError(`Deepgram did not answer in time: ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof sdk.DeepgramError) {
    if (error.statusCode !== undefined) {
      const headers = error.rawResponse?.headers;
      return statusError(
        error.statusCode,
        error.body,
        (name) => headers?.get(name) ?? undefined,
        error,
      );
    }
    return new APIConnectionError(`could not reach Deepgram: ${error.message}`, { cause: error });
  }
  return error;
}
