import type { LLMMetrics, ModelEvents } from '../metrics/base.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import { ChatContext } from './chat-context.js';
import type { LLMStream } from './llm-stream.js';
import { resolveTools, type ToolContext } from './tool.js';

/**
 * Whether the model may call tools: `auto` (it decides), `required` (it must call
 * one), `none` (it must answer in text), or `{ name }` (it must call that tool).
 */
export type ToolChoice = 'auto' | 'required' | 'none' | { name: string };

/** What `LLM.chat` takes. Only `chatCtx` is required; the provider's defaults fill the rest. */
export interface ChatOptions {
  /** The conversation so far; the reply continues it. */
  chatCtx: ChatContext;
  /** The tools the model may call. */
  fncCtx?: ToolContext;
  /** Sampling temperature, 0 to 2 (a provider may allow less). */
  temperature?: number;
  /** How many alternative replies to generate; a positive integer. */
  n?: number;
  /** Whether the model may ask for several calls in one reply. */
  parallelToolCalls?: boolean;
  toolChoice?: ToolChoice;
  /** Aborting it closes the stream, as `close()` does. */
  signal?: AbortSignal;
}

/**
 * A chat model. `chat()` checks the options and starts one streamed reply;
 * implementations provide `createStream`, and report metrics through the stream.
 */
export abstract class LLM extends TypedEventEmitter<ModelEvents<LLMMetrics>> {
  /** Names the implementation in metrics and logs, e.g. `openai.LLM`. */
  abstract readonly label: string;

  /** Streams the model's reply to `chatCtx`. Throws a TypeError on an invalid option. */
  chat(options: ChatOptions): LLMStream {
    validateChatOptions(options);
    const stream = this.createStream({ ...options });
    // Closed before its run() starts, so a turn cancelled already sends no request.
    if (options.signal?.aborted) void stream.close();
    return stream;
  }

  /** Starts the request; `options` are already checked. */
  protected abstract createStream(options: ChatOptions): LLMStream;
}

/** Throws a TypeError naming the first option that no provider would accept. */
export function validateChatOptions(options: ChatOptions): void {
  const { chatCtx, fncCtx, temperature, n, parallelToolCalls, toolChoice } = options;
  if (!(chatCtx instanceof ChatContext)) {
    throw new TypeError('chat: chatCtx must be a ChatContext');
  }
  if (temperature !== undefined) {
    if (typeof temperature !== 'number' || !(temperature >= 0 && temperature <= 2)) {
      throw new TypeError(`chat: temperature must be between 0 and 2 (got ${String(temperature)})`);
    }
  }
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
    throw new TypeError(`chat: n must be a positive integer (got ${String(n)})`);
  }
  if (parallelToolCalls !== undefined && typeof parallelToolCalls !== 'boolean') {
    throw new TypeError('chat: parallelToolCalls must be a boolean');
  }
  const tools = resolveTools(fncCtx ?? {});
  if (toolChoice === undefined) return;
  if (typeof toolChoice === 'object' && toolChoice !== null) {
    if (!tools.has(toolChoice.name)) {
      throw new TypeError(`chat: toolChoice names "${toolChoice.name}", which is not in fncCtx`);
    }
  } else if (toolChoice === 'required' && tools.size === 0) {
    throw new TypeError('chat: toolChoice "required" needs at least one tool in fncCtx');
  } else if (toolChoice !== 'auto' && toolChoice !== 'none' && toolChoice !== 'required') {
    throw new TypeError(
      `chat: toolChoice must be 'auto', 'required', 'none' or { name } (got ${String(toolChoice)})`,
    );
  }
}
