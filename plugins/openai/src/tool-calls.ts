import { type llm, utils } from '@agents/core';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';

type ToolCallDelta = ChatCompletionChunk.Choice.Delta.ToolCall;

/**
 * Joins the pieces of streamed tool calls into whole calls. OpenAI opens each
 * call with a delta carrying its `index`, `id` and name, then sends the JSON
 * arguments in fragments tagged with the same `index`; several calls may be in
 * one reply, so pieces are matched by `index`, never by arrival order.
 */
export class ToolCallAssembler {
  readonly #calls = new Map<number, { id: string; name: string; arguments: string }>();

  get size(): number {
    return this.#calls.size;
  }

  add(delta: ToolCallDelta): void {
    let call = this.#calls.get(delta.index);
    if (!call) {
      call = { id: '', name: '', arguments: '' };
      this.#calls.set(delta.index, call);
    }
    if (delta.id) call.id = delta.id;
    // Set, not appended: some compatible servers repeat the whole name on every delta.
    if (delta.function?.name) call.name = delta.function.name;
    if (delta.function?.arguments) call.arguments += delta.function.arguments;
  }

  /** The complete calls in index order; the assembler is empty afterwards. */
  take(): llm.FunctionCall[] {
    const calls = [...this.#calls]
      .sort(([a], [b]) => a - b)
      // A result must quote its call's id; a server that sent none still gets one back.
      .map(([, call]) => ({ ...call, id: call.id || utils.shortId('call') }));
    this.#calls.clear();
    return calls;
  }
}
