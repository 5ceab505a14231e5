// A toy LLM over the toy service, correct by default; each flaw breaks one
// promise the LLM conformance suite checks.
import { APIStatusError, llm } from '@agents/core';
import type { LLMConformanceOptions } from '../../src/conformance/index.js';
import type { ToyService } from './tts-toy.js';

export type LLMFlaw =
  | 'drops-chunks'
  | 'splits-tool-call'
  | 'keeps-request-open'
  | 'untyped-errors'
  | 'retryable-4xx'
  | 'bad-key-retryable'
  | 'no-usage'
  | 'leaks-listener';

type Reply = Parameters<NonNullable<LLMConformanceOptions['prepare']>>[1][number];

export class ToyLLM extends llm.LLM {
  readonly label = 'toy.LLM';
  readonly service: ToyService;
  readonly key: string;
  readonly flaws: ReadonlySet<LLMFlaw>;

  constructor(service: ToyService, key: string, flaws: readonly LLMFlaw[] = []) {
    super();
    this.service = service;
    this.key = key;
    this.flaws = new Set(flaws);
  }

  protected createStream(options: llm.ChatOptions): llm.LLMStream {
    if (this.flaws.has('leaks-listener')) options.signal?.addEventListener('abort', () => {});
    return new ToyLLMStream(this, options);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

class ToyLLMStream extends llm.LLMStream {
  readonly #owner: ToyLLM;

  constructor(owner: ToyLLM, options: llm.ChatOptions) {
    super(owner, options);
    this.#owner = owner;
  }

  protected async run(): Promise<void> {
    const { flaws, service, key } = this.#owner;
    let request: { end(): void };
    try {
      request = service.open(key);
    } catch (error) {
      throw mapError(error, flaws);
    }
    let finished = false;
    try {
      const reply = service.replies.shift() as Reply | undefined;
      const requestId = 'toy-req';
      if (reply && 'text' in reply) {
        const pieces = reply.text.split(/(?<= )/);
        for (const [index, content] of pieces.entries()) {
          if (this.signal.aborted) return;
          if (flaws.has('drops-chunks') && index % 3 === 2) continue;
          await this.emit({ requestId, delta: { role: 'assistant', content } });
          await tick();
        }
      } else if (reply) {
        const args = JSON.stringify(reply.toolCall.arguments);
        const cut = flaws.has('splits-tool-call') ? [args.slice(0, 5), args.slice(5)] : [args];
        const toolCalls = cut.map((part, i) => ({
          id: `call_${i}`,
          name: reply.toolCall.name,
          arguments: part,
        }));
        await this.emit({ requestId, delta: { role: 'assistant', toolCalls } });
      }
      if (!flaws.has('no-usage')) {
        await this.emit({
          requestId,
          usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
        });
      }
      finished = !this.signal.aborted;
    } finally {
      if (finished || !flaws.has('keeps-request-open')) request.end();
    }
  }
}

function mapError(error: unknown, flaws: ReadonlySet<LLMFlaw>): unknown {
  if (!(error instanceof APIStatusError)) return error;
  if (flaws.has('untyped-errors')) return new Error(error.message);
  if (flaws.has('retryable-4xx') && error.status === 400) {
    return new APIStatusError(error.message, { status: 400, retryable: true });
  }
  if (flaws.has('bad-key-retryable') && error.status === 401) {
    return new APIStatusError(error.message, { status: 401, retryable: true });
  }
  return error;
}
