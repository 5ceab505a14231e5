import { APIConnectionError, APIError, codecs, utils } from '@agents/core';
import { httpError } from './errors.js';
import type { Voice } from './models.js';
import type { ResolvedOptions } from './options.js';

/** fetch failures as typed errors: our deadline, a broken connection, or an API error as is. */
export function toAPIError(error: unknown, deadline: utils.IdleDeadline): Error {
  if (error instanceof APIError) return error;
  if (error instanceof codecs.Mp3DecodeError) {
    return new APIError(`ElevenLabs sent audio that does not decode: ${error.message}`, {
      cause: error,
    });
  }
  if (deadline.timedOut) return deadline.timeoutError(error);
  const reason = utils.errorMessage(error);
  return new APIConnectionError(`could not reach ElevenLabs (${reason})`, { cause: error });
}

/** One request with `connect.timeoutMs` as its idle deadline, retried per `connect`. */
export function requestWithRetries<T>(
  options: ResolvedOptions,
  { label, signal, started }: { label: string; signal?: AbortSignal; started: () => boolean },
  attempt: (deadline: utils.IdleDeadline) => Promise<T>,
): Promise<T> {
  return utils.retryBeforeOutput(
    () =>
      utils.runAttempt(
        { signal, timeoutMs: options.connect.timeoutMs, label: 'ElevenLabs', toError: toAPIError },
        attempt,
      ),
    { ...utils.retryOptionsFor(options.connect, { label, signal }), started },
  );
}

/** Throws the typed error of a non-2xx answer. */
export async function checkResponse(
  response: Response,
  deadline: utils.IdleDeadline,
): Promise<void> {
  if (response.ok) return;
  const body = await deadline.within(response.text()).catch(() => '');
  throw httpError(response.status, body, (name) => response.headers.get(name));
}

export async function listVoices(
  options: ResolvedOptions,
  label: string,
  signal?: AbortSignal,
): Promise<Voice[]> {
  return requestWithRetries(options, { label, signal, started: () => false }, async (deadline) => {
    const response = await deadline.within(
      fetch(`${options.baseURL}/voices`, {
        headers: { 'xi-api-key': options.apiKey },
        signal: deadline.signal,
      }),
    );
    await checkResponse(response, deadline);
    const body = (await deadline.within(response.json())) as { voices?: unknown };
    if (!Array.isArray(body.voices)) {
      throw new APIError('ElevenLabs sent a voice list without `voices`', { body });
    }
    return body.voices.map((v: Record<string, unknown>) => ({
      id: String(v.voice_id),
      name: String(v.name ?? ''),
      category: String(v.category ?? ''),
      labels: (v.labels ?? {}) as Record<string, string>,
    }));
  });
}
