import { plugin } from '@agents/core';
import type OpenAI from 'openai';
import { loadSDK } from './sdk.js';

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
  client: LazyClient;
  connect: plugin.APIConnectOptions;
}

/** The client, built on the first request (with the SDK it needs): see loadSDK. */
export class LazyClient {
  #client: OpenAI | undefined;
  readonly #make: (sdk: typeof import('openai')) => OpenAI;

  constructor(make: (sdk: typeof import('openai')) => OpenAI) {
    this.#make = make;
  }

  async get(): Promise<OpenAI> {
    // Loaded even for a client of the user's own: the errors it throws are mapped by class.
    const sdk = await loadSDK();
    this.#client ??= this.#make(sdk);
    return this.#client;
  }
}

/**
 * The client a model uses. A missing key fails here, when the model is created,
 * rather than on the first request in the middle of a conversation.
 */
export function resolveClient(options: ClientOptions, label: string): ResolvedClient {
  const connect = plugin.resolveConnectOptions(options.connectOptions);
  const own = options.client;
  if (own) return { client: new LazyClient(() => own), connect };
  const apiKey = options.apiKey ?? process.env.OPENAI_API_KEY;
  if (!apiKey) {
    throw new Error(`${label}: no OpenAI API key: set OPENAI_API_KEY or pass the apiKey option`);
  }
  // The SDK's own retries stay off: retries happen once, in utils.withRetry, and
  // only before any output went to the consumer (requests also pass maxRetries: 0,
  // for clients given by the user).
  const { baseURL } = options;
  const client = new LazyClient((sdk) => new sdk.OpenAI({ apiKey, baseURL, maxRetries: 0 }));
  return { client, connect };
}
