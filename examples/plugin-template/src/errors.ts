import { APIConnectionError, APIError, APIStatusError, plugin, type utils } from '@agents/core';

/**
 * The core's typed error for what one request attempt threw, so that retry
 * decisions (core's and the app's) read `retryable`, never the message.
 */
export function toAPIError(error: unknown, deadline: utils.IdleDeadline): unknown {
  if (error instanceof APIError) return error;
  if (deadline.timedOut) return deadline.timeoutError(error);
  // fetch() throws a TypeError ("fetch failed", "terminated") when the connection fails or breaks.
  if (error instanceof TypeError) {
    return new APIConnectionError(`could not reach the Tone service: ${describe(error)}`, {
      cause: error,
    });
  }
  return error;
}

/** An error status as a typed error: a wrong key is permanent and says which key. */
export async function statusError(response: Response): Promise<APIStatusError> {
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  const reason = (body as { error?: unknown })?.error ?? (text || response.statusText);
  const { status } = response;
  const message =
    status === 401 || status === 403
      ? `the Tone service rejected the API key (${status} ${String(reason)}): check TONE_API_KEY or the apiKey option`
      : `the Tone service answered ${status}: ${String(reason)}`;
  // retryable defaults by status: 408, 409, 429 and 5xx are worth another try.
  return new APIStatusError(message, {
    status,
    body,
    retryAfterMs: plugin.parseRetryAfter(response.headers.get('retry-after')),
  });
}

/** fetch() says only "fetch failed"; the useful part (ECONNREFUSED...) is in its cause. */
function describe(error: Error): string {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (!cause) return error.message;
  return `${error.message} (${cause.code ?? cause.message ?? String(cause)})`;
}
