import { log, type plugin, utils } from '@agents/core';

export interface RetryContext {
  connect: plugin.APIConnectOptions;
  signal: AbortSignal | undefined;
  /** The model's label, for the log line of each retry. */
  label: string;
}

/**
 * Runs `attempt`, retrying retryable failures per `connect`, but only while
 * `started()` is false. Once output has reached the consumer (text it may
 * have spoken, audio it may have played), another attempt would repeat or
 * contradict it, so the failure is thrown as it is and the caller decides.
 */
export async function retryBeforeOutput(
  context: RetryContext,
  attempt: () => Promise<void>,
  started: () => boolean,
): Promise<void> {
  const failure = await utils.withRetry(async () => {
    try {
      await attempt();
      return undefined;
    } catch (error) {
      // Returned, not thrown: withRetry would retry it.
      if (started()) return { error };
      throw error;
    }
  }, retryOptions(context));
  if (failure) throw failure.error;
}

/** The options of `utils.withRetry` for `context`: backoff per `connect`, each retry logged. */
export function retryOptions({ connect, signal, label }: RetryContext): utils.RetryOptions {
  return {
    maxRetry: connect.maxRetry,
    retryIntervalMs: connect.retryIntervalMs,
    signal,
    onRetry: ({ attempt, delayMs, error }) =>
      log().warn({ err: error, attempt, delayMs, model: label }, 'OpenAI request failed; retrying'),
  };
}
