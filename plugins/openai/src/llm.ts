import { llm, type plugin } from '@agents/core';
import { chatRequest } from './chat-format.js';
import { type ClientOptions, type LazyClient, resolveClient } from './client.js';
import { OpenAILLMStream } from './llm-stream.js';
import type { ChatModel } from './models.js';

export interface LLMOptions extends ClientOptions {
  /** Default `gpt-4o`. */
  model?: ChatModel;
  /** Defaults for every chat; a chat's own options win. */
  temperature?: number;
  parallelToolCalls?: boolean;
  toolChoice?: llm.ToolChoice;
  /** A stable id of the end user, which OpenAI uses to detect abuse. */
  user?: string;
}

/**
 * OpenAI chat completions, streamed: text as it is generated, tool calls once
 * complete, token usage at the end. Works with any OpenAI-compatible server
 * through `baseURL`.
 *
 *     const model = new LLM({ model: 'gpt-4o-mini' });
 *     for await (const chunk of model.chat({ chatCtx })) process.stdout.write(chunk.delta?.content ?? '');
 */
export class LLM extends llm.LLM {
  readonly label = 'openai.LLM';
  readonly model: string;
  readonly #client: LazyClient;
  readonly #connect: plugin.APIConnectOptions;
  readonly #defaults: Pick<LLMOptions, 'temperature' | 'parallelToolCalls' | 'toolChoice'>;
  readonly #user: string | undefined;

  constructor(options: LLMOptions = {}) {
    super();
    ({ client: this.#client, connect: this.#connect } = resolveClient(options, this.label));
    this.model = options.model ?? 'gpt-4o';
    const { temperature, parallelToolCalls, toolChoice } = options;
    this.#defaults = { temperature, parallelToolCalls, toolChoice };
    this.#user = options.user;
    // The same checks as a chat's options, so a bad default fails now, not mid-call.
    llm.validateChatOptions({ chatCtx: new llm.ChatContext(), temperature, parallelToolCalls });
  }

  protected createStream(options: llm.ChatOptions): llm.LLMStream {
    if (options.n !== undefined && options.n !== 1) {
      throw new TypeError(
        `${this.label}: n must be 1 (a stream carries one reply; got ${options.n})`,
      );
    }
    // A default tool choice applies to chats that offer tools; the others have nothing to choose.
    const hasTools = llm.resolveTools(options.fncCtx ?? {}).size > 0;
    const defaultChoice = hasTools ? this.#defaults.toolChoice : undefined;
    const merged: llm.ChatOptions = {
      ...options,
      temperature: options.temperature ?? this.#defaults.temperature,
      parallelToolCalls: options.parallelToolCalls ?? this.#defaults.parallelToolCalls,
      toolChoice: options.toolChoice ?? defaultChoice,
    };
    // chat() checked the caller's options; a default naming a tool must name one offered here.
    if (options.toolChoice === undefined && defaultChoice !== undefined) {
      llm.validateChatOptions(merged);
    }
    return new OpenAILLMStream(this, merged, {
      client: this.#client,
      connect: this.#connect,
      request: chatRequest(this.model, merged, this.#user),
    });
  }
}
