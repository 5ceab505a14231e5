import type { IncomingMessage } from 'node:http';
import { type APIError, APIStatusError, isRetryableStatus, parseRetryAfter } from '../errors.js';
import type { HandshakeRefusal } from './reconnecting-socket-types.js';

/** Enough of a refusal body to name the problem; the rest is not read. */
const MAX_BODY_BYTES = 4096;
/** How much of the body an error message quotes. */
const QUOTED_BODY_CHARS = 300;

/** Reads a refused handshake's answer: status, headers and the start of the body. */
export function readRefusal(response: IncomingMessage): Promise<HandshakeRefusal> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      response.removeAllListeners('data');
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY_BYTES),
      });
    };
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_BODY_BYTES) {
        finish();
        response.destroy();
      }
    });
    response.once('end', finish);
    // A connection cut mid-body still tells us the status.
    response.once('error', finish);
    response.once('close', finish);
  });
}

function header(refusal: HandshakeRefusal, name: string): string | undefined {
  const value = refusal.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function quote(body: string): string {
  const text = body.trim().replace(/\s+/g, ' ');
  if (!text) return 'no body';
  return text.length > QUOTED_BODY_CHARS ? `${text.slice(0, QUOTED_BODY_CHARS)}...` : text;
}

/**
 * The default reading of a refused handshake: a bad key and an invalid
 * request are permanent and say what to fix; rate limits and server errors
 * are retried, after the wait the server asks for.
 */
export function defaultRefusalError(
  refusal: HandshakeRefusal,
  context: { label: string; url: string; apiKeyName?: string },
): APIError {
  const { status, body } = refusal;
  const common = {
    status,
    body,
    requestId:
      header(refusal, 'x-request-id') ??
      header(refusal, 'request-id') ??
      header(refusal, 'dg-request-id'),
    retryAfterMs: parseRetryAfter(header(refusal, 'retry-after')),
  };
  const prefix = `${context.label}: the server refused the websocket connection (HTTP ${status})`;
  if (status === 401 || status === 403) {
    const key = context.apiKeyName ? `check ${context.apiKeyName}` : 'check the API key';
    return new APIStatusError(`${prefix}: the API key was not accepted; ${key} (${quote(body)})`, {
      ...common,
      retryable: false,
    });
  }
  if (status === 404) {
    return new APIStatusError(
      `${prefix}: ${context.url} was not found; check the base URL and the model or voice (${quote(body)})`,
      { ...common, retryable: false },
    );
  }
  if (status === 400 || status === 422) {
    return new APIStatusError(`${prefix}: invalid request; check the options: ${quote(body)}`, {
      ...common,
      retryable: false,
    });
  }
  return new APIStatusError(`${prefix}: ${quote(body)}`, {
    ...common,
    retryable: isRetryableStatus(status),
  });
}
