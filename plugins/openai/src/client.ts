import { plugin } from '@agents/core';
import OpenAI from 'openai';

/** How every model of this plugin reaches the service. */
export interface ClientOptions {
  /** Default: `OPENAI_API_KEY` from the environment. */
  apiKey?: string;
  /**
   * Another OpenAI-compatible server, e.g. `http://localhost:11434/v1` for Ollama.
   * Default: `OPENAI_BASE_URL` from the environment, else OpenAI itself.
   */
  baseURL?: string;
  /** A client of your own; `apiKey` and `baseURL` are then ignored. */
  client?: OpenAI;
  /** Retries and the deadline of each attempt. */
  connectOptions?: Partial<plugin.APIConnectOptions>;
}

export interface ResolvedClient {
  client: OpenAI;
  connect: plugin.APIConnectOptions;
}

/**
 * The client a model uses. A missing key fails here, when the model is created,
 * rather than on the first request in the middle of a conversation.
 */
export function resolveClient(options: ClientOptions, label: string): ResolvedClient {
  const connect = plugin.resolveConnectOptions(options.connectOptions);
  if (options.client) return { client: options.client, connect };
  const apiKey = options.apiKey ?? process.env.OPENAI_API_KEY;
  if (!apiKey) {
    throw new Error(`${label}: no OpenAI API key: set OPENAI_API_KEY or pass the apiKey option`);
  }
  // The SDK's own retries stay off: retries happen once, in utils.withRetry, and
  // only before any output went to the consumer (requests also pass maxRetries: 0,
  // for clients given by the user).
  return { client: new OpenAI({ apiKey, baseURL: options.baseURL, maxRetries: 0 }), connect };
}
