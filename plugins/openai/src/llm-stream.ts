import { APIConnectionError, llm, type plugin, type utils } from '@agents/core';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { LazyClient } from './client.js';
import { streamWithRetries } from './errors.js';
import { ToolCallAssembler } from './tool-calls.js';

export interface StreamInit {
  client: LazyClient;
  connect: plugin.APIConnectOptions;
  request: ChatCompletionCreateParamsStreaming;
}

/** One streamed reply; failures are retried until the first chunk goes to the consumer. */
export class OpenAILLMStream extends llm.LLMStream {
  readonly #init: StreamInit;
  #emitted = false;

  constructor(owner: llm.LLM, options: llm.ChatOptions, init: StreamInit) {
    super(owner, options);
    this.#init = init;
  }

  protected async run(): Promise<void> {
    const { connect } = this.#init;
    await streamWithRetries(
      connect,
      { label: this.llm.label, signal: this.signal, started: () => this.#emitted },
      (deadline) => this.#attempt(deadline),
    );
  }

  protected override emit(chunk: llm.ChatChunk): Promise<boolean> {
    this.#emitted = true;
    return super.emit(chunk);
  }

  async #attempt(deadline: utils.IdleDeadline): Promise<void> {
    const { client, request } = this.#init;
    let chunks: AsyncIterator<ChatCompletionChunk> | undefined;
    try {
      const openai = await deadline.within(client.get());
      const stream = await deadline.within(
        openai.chat.completions.create(request, { signal: deadline.signal, maxRetries: 0 }),
      );
      chunks = stream[Symbol.asyncIterator]();
      const toolCalls = new ToolCallAssembler();
      let finished = false;
      for (;;) {
        const next = await deadline.within(chunks.next());
        if (this.signal.aborted) return;
        // The SDK ends a stream quietly when its request is aborted: "done" may be our timeout.
        if (deadline.timedOut) throw deadline.timeoutError();
        if (next.done) break;
        finished ||= next.value.choices?.some((choice) => choice.finish_reason) ?? false;
        if (!(await this.#forward(next.value, toolCalls))) return;
      }
      // A reply always ends with a finish_reason: without one, text or a call was cut short.
      if (!finished) {
        throw new APIConnectionError('the OpenAI stream ended before the reply was complete');
      }
    } finally {
      // Ends the HTTP exchange when we stop early: the socket closes, generation stops.
      await chunks?.return?.();
    }
  }

  /** Emits what one provider chunk adds; false once the stream is closed. */
  async #forward(chunk: ChatCompletionChunk, toolCalls: ToolCallAssembler): Promise<boolean> {
    const requestId = chunk.id;
    // Some compatible servers send `choices: null` on the usage chunk.
    const choice = chunk.choices?.[0];
    if (choice?.delta?.content) {
      const delta = { role: 'assistant' as const, content: choice.delta.content };
      if (!(await this.emit({ requestId, delta }))) return false;
    }
    for (const call of choice?.delta?.tool_calls ?? []) toolCalls.add(call);
    // Calls go out whole, once the model has finished writing all of them.
    if (choice?.finish_reason && toolCalls.size > 0) {
      const delta = { role: 'assistant' as const, toolCalls: toolCalls.take() };
      if (!(await this.emit({ requestId, delta }))) return false;
    }
    if (chunk.usage) {
      const usage = {
        promptTokens: chunk.usage.prompt_tokens,
        completionTokens: chunk.usage.completion_tokens,
        totalTokens: chunk.usage.total_tokens,
      };
      if (!(await this.emit({ requestId, usage }))) return false;
    }
    return true;
  }
}
