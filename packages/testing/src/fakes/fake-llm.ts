import { llm, utils } from '@agents/core';
import { Script, ScriptError } from './script.js';

/** One tool call in a scripted reply; `arguments` as an object is sent as JSON. */
export interface FakeToolCall {
  name: string;
  arguments: unknown;
  id?: string;
}

/** One reply of the fake model. */
export interface FakeLLMStep {
  /** Text of the reply; a string is streamed word by word, an array chunk by chunk. */
  content?: string | string[];
  /** Calls the model asks for, after the content. */
  toolCalls?: FakeToolCall[];
  /** Default: prompt = characters of the context / 4, completion = number of chunks. */
  usage?: { promptTokens: number; completionTokens: number };
  /** Wait before the first chunk. Default 0. */
  ttftMs?: number;
  /** Wait between chunks. Default 0. */
  chunkDelayMs?: number;
  /** Fail after the content chunks (a stream cut mid-reply). */
  error?: Error;
  /** Checks the request; a throw fails the stream with a ScriptError naming the step. */
  expect?: (request: llm.ChatOptions) => void;
}

export interface FakeLLMOptions {
  /** One step per `chat()` call. */
  responses: FakeLLMStep[];
  label?: string;
}

/** A chat model whose replies are a script; records each request it got. */
export class FakeLLM extends llm.LLM {
  readonly label: string;
  /** Each request, with a copy of its chat context as it was when sent. */
  readonly requests: llm.ChatOptions[] = [];
  readonly #responses: Script<FakeLLMStep>;
  #calls = 0;

  constructor(options: FakeLLMOptions) {
    super();
    this.label = options.label ?? 'fake.LLM';
    this.#responses = new Script(`${this.label} chat`, options.responses);
  }

  protected createStream(options: llm.ChatOptions): llm.LLMStream {
    const step = this.#responses.next('chat() call');
    this.requests.push({ ...options, chatCtx: options.chatCtx.copy() });
    this.#calls += 1;
    return new FakeLLMStream(this, options, step, this.#calls);
  }

  assertDone(): void {
    this.#responses.assertDone();
  }
}

class FakeLLMStream extends llm.LLMStream {
  readonly #step: FakeLLMStep;
  readonly #requestId: string;
  readonly #turn: number;

  constructor(owner: FakeLLM, options: llm.ChatOptions, step: FakeLLMStep, turn: number) {
    super(owner, options);
    this.#step = step;
    this.#turn = turn;
    this.#requestId = utils.shortId('fakechat');
  }

  protected async run(): Promise<void> {
    const step = this.#step;
    if (step.expect) {
      try {
        step.expect(this.options);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ScriptError(
          `${this.llm.label}: request ${this.#turn} was not as expected: ${reason}`,
        );
      }
    }
    if (step.ttftMs) await utils.sleep(step.ttftMs, this.signal);

    const chunks =
      typeof step.content === 'string' ? step.content.split(/(?<=\s)/) : (step.content ?? []);
    for (const [i, content] of chunks.entries()) {
      if (i > 0 && step.chunkDelayMs) await utils.sleep(step.chunkDelayMs, this.signal);
      const delta = { role: 'assistant' as const, content };
      if (!(await this.emit({ requestId: this.#requestId, delta }))) return;
    }
    if (step.error) throw step.error;

    if (step.toolCalls?.length) {
      const toolCalls = step.toolCalls.map((call, i) => ({
        id: call.id ?? `call_${this.#turn}_${i + 1}`,
        name: call.name,
        arguments:
          typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
      }));
      const delta = { role: 'assistant' as const, toolCalls };
      if (!(await this.emit({ requestId: this.#requestId, delta }))) return;
    }

    const promptTokens =
      step.usage?.promptTokens ??
      Math.ceil(this.chatCtx.messages.reduce((n, m) => n + m.content.length, 0) / 4);
    const completionTokens =
      step.usage?.completionTokens ?? chunks.length + (step.toolCalls?.length ?? 0);
    await this.emit({
      requestId: this.#requestId,
      usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
    });
  }
}
