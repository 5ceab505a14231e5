import { APIConnectionError, APIError, APIStatusError, plugin, utils } from '@agents/core';
import type { APIError as OpenAIAPIError } from 'openai';
import { loadedSDK } from './sdk.js';

/**
 * The core's typed error for what the openai client threw, so that retry
 * decisions read `retryable` and never a message. `deadline` tells a timeout
 * of ours apart from other aborts.
 */
export function toAPIError(error: unknown, deadline: utils.IdleDeadline): Error {
  if (error instanceof APIError) return error;
  const sdk = loadedSDK();
  if (deadline.timedOut || (sdk && error instanceof sdk.APIConnectionTimeoutError)) {
    return deadline.timeoutError(error);
  }
  if (sdk && error instanceof sdk.APIConnectionError) {
    return new APIConnectionError(`could not reach OpenAI: ${error.message}`, { cause: error });
  }
  if (sdk && error instanceof sdk.APIError) {
    // No status: the service reported an error event inside a stream that had started.
    if (error.status === undefined) {
      return new APIError(`OpenAI failed mid-response: ${error.message}`, {
        body: error.error,
        retryable: true,
        cause: error,
      });
    }
    return statusError(error as OpenAIAPIError<number, Headers>);
  }
  if (error instanceof SyntaxError) {
    return new APIError(`OpenAI sent a chunk that is not JSON: ${error.message}`, { cause: error });
  }
  // What is left comes from fetch reading the body: the connection broke mid-response.
  const reason = error instanceof Error ? error.message : String(error);
  return new APIConnectionError(`the connection to OpenAI broke mid-response (${reason})`, {
    cause: error,
  });
}

function statusError(error: OpenAIAPIError<number, Headers>): APIStatusError {
  const { status } = error;
  let message = `OpenAI answered ${error.message}`;
  if (status === 401) {
    message = `OpenAI rejected the API key (${error.message}): check OPENAI_API_KEY or the apiKey option`;
  } else if (status === 403) {
    message =
      `OpenAI refused the request (${error.message}): check that the key in OPENAI_API_KEY ` +
      '(or the apiKey option) may use this model from here';
  }
  return new APIStatusError(message, {
    status,
    requestId: error.requestID ?? undefined,
    retryAfterMs: retryAfterMs(error.headers),
    body: error.error,
    // A wrong key stays wrong, whatever the server hints: never worth another try.
    retryable: status === 401 || status === 403 ? false : shouldRetry(error.headers),
    cause: error,
  });
}

/** OpenAI sends `retry-after-ms` next to the standard `retry-after`; the finer one wins. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  return plugin.parseRetryAfter(headers?.get('retry-after'));
}

/**
 * OpenAI can say whether a failed request is worth retrying (`x-should-retry`),
 * and the SDK obeys it over the status; so do we. Undefined: decide by status.
 */
function shouldRetry(headers: Headers | undefined): boolean | undefined {
  const hint = headers?.get('x-should-retry');
  return hint === 'true' ? true : hint === 'false' ? false : undefined;
}

/**
 * Runs a streaming request: each attempt with an idle deadline (`connect.timeoutMs`) and its
 * failures mapped by `toAPIError`, retried per `connect` only until `started()` says output
 * reached the consumer (a retry after that would repeat it).
 */
export function streamWithRetries(
  connect: plugin.APIConnectOptions,
  options: { label: string; signal: AbortSignal; started: () => boolean },
  attempt: (deadline: utils.IdleDeadline) => Promise<void>,
): Promise<void> {
  const { label, signal, started } = options;
  return utils.retryBeforeOutput(
    () =>
      utils.runAttempt(
        { signal, timeoutMs: connect.timeoutMs, label: 'OpenAI', toError: toAPIError },
        attempt,
      ),
    { ...utils.retryOptionsFor(connect, { label, signal }), started },
  );
}
