import type { LLMMetrics } from '../metrics/base.js';
import { AsyncStream, type AsyncStreamOptions } from '../utils/async-stream.js';
import type { ChatContext, FunctionCall } from './chat-context.js';
import { executeFunctions as executeCalls, type FunctionCallResult } from './execute.js';
import type { ChatOptions, LLM } from './llm.js';
import type { ToolContext } from './tool.js';

/** Tokens a request used, as the provider counted them. */
export interface CompletionUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What a chunk adds to the reply. */
export interface ChoiceDelta {
  role?: 'assistant';
  /** The next piece of text. */
  content?: string;
  /**
   * Complete calls, never fragments: providers stream a call's arguments in pieces,
   * and the implementation joins them before emitting, so each call here is usable as is.
   */
  toolCalls?: FunctionCall[];
}

/** One piece of a streamed reply. */
export interface ChatChunk {
  /** The provider's id for the request; the same on every chunk of a reply. */
  requestId: string;
  delta?: ChoiceDelta;
  /** Usually on a last chunk of its own, without a delta. */
  usage?: CompletionUsage;
}

/**
 * One streamed reply of an `LLM`. An implementation's `run()` emits chunks; this
 * class watches them on the way out to collect the function calls and the metrics
 * (emitted as the LLM's `metrics_collected` once `run()` has ended, or at `close()`).
 */
export abstract class LLMStream extends AsyncStream<ChatChunk> {
  readonly chatCtx: ChatContext;
  readonly fncCtx: ToolContext | undefined;
  /** The calls seen in the chunks emitted so far, in order. */
  readonly functionCalls: FunctionCall[] = [];
  protected readonly llm: LLM;
  /** The options given to `chat()`, for `run()` to send. */
  protected readonly options: Readonly<ChatOptions>;

  readonly #startedAt = performance.now();
  #firstTokenAt: number | undefined;
  #requestId = '';
  #usage: CompletionUsage | undefined;
  #reported = false;
  readonly #onUserAbort = () => void this.close();

  constructor(llm: LLM, options: ChatOptions, streamOptions?: AsyncStreamOptions) {
    super(streamOptions);
    this.llm = llm;
    this.options = options;
    this.chatCtx = options.chatCtx;
    this.fncCtx = options.fncCtx;
    // A signal aborted already is handled by LLM.chat(): closing here would call a
    // subclass's close() before its fields are set.
    options.signal?.addEventListener('abort', this.#onUserAbort, { once: true });
  }

  protected override onRunEnd(): void {
    this.#report(this.closed);
  }

  override async close(): Promise<void> {
    this.#report(true);
    await super.close();
  }

  protected override async emit(chunk: ChatChunk): Promise<boolean> {
    if (!this.closed) this.#observe(chunk);
    return super.emit(chunk);
  }

  /**
   * Runs the calls this reply asked for (see the function `executeFunctions`).
   * Defaults: in parallel unless `parallelToolCalls` was false, cancelled by the
   * chat's `signal`, with `chatCtx` handed to the tools.
   */
  executeFunctions(
    options: { parallel?: boolean; signal?: AbortSignal } = {},
  ): Promise<FunctionCallResult[]> {
    return executeCalls({
      calls: [...this.functionCalls],
      fncCtx: this.fncCtx ?? {},
      parallel: options.parallel ?? this.options.parallelToolCalls ?? true,
      signal: options.signal ?? this.options.signal,
      chatCtx: this.chatCtx,
    });
  }

  #observe(chunk: ChatChunk): void {
    if (!this.#requestId && chunk.requestId) this.#requestId = chunk.requestId;
    if (chunk.usage) this.#usage = chunk.usage;
    const calls = chunk.delta?.toolCalls ?? [];
    for (const call of calls) this.functionCalls.push({ ...call });
    if (this.#firstTokenAt === undefined && (chunk.delta?.content || calls.length > 0)) {
      this.#firstTokenAt = performance.now();
    }
  }

  /** Once: when `run()` ends, or when the stream is closed first (`cancelled`). */
  #report(cancelled: boolean): void {
    if (this.#reported) return;
    this.#reported = true;
    this.options.signal?.removeEventListener('abort', this.#onUserAbort);
    const durationMs = performance.now() - this.#startedAt;
    // -1: no token came (cancelled or failed before the first one).
    const ttftMs = this.#firstTokenAt === undefined ? -1 : this.#firstTokenAt - this.#startedAt;
    const usage = this.#usage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    const generatingMs = durationMs - ttftMs;
    const metrics: LLMMetrics = {
      type: 'llm',
      label: this.llm.label,
      requestId: this.#requestId,
      timestamp: Date.now(),
      ttftMs,
      durationMs,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      totalTokens: usage.totalTokens,
      tokensPerSecond:
        ttftMs >= 0 && generatingMs > 0 ? usage.completionTokens / (generatingMs / 1000) : 0,
      cancelled,
    };
    this.llm.emit('metrics_collected', metrics);
  }
}
