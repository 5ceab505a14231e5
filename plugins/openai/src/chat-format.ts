import { llm } from '@agents/core';
import type {
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';

/** The streamed request for one reply; `options` are the chat's, defaults merged in. */
export function chatRequest(
  model: string,
  options: llm.ChatOptions,
  user: string | undefined,
): ChatCompletionCreateParamsStreaming {
  const tools = llm.toolSchemas(options.fncCtx ?? {}).map(toOpenAITool);
  const request: ChatCompletionCreateParamsStreaming = {
    model,
    messages: options.chatCtx.messages.map(toOpenAIMessage),
    stream: true,
    // Without it the stream carries no token counts, and metrics would report zero.
    stream_options: { include_usage: true },
  };
  if (options.temperature !== undefined) request.temperature = options.temperature;
  if (user !== undefined) request.user = user;
  // The service rejects tool_choice and parallel_tool_calls in a request without tools.
  if (tools.length > 0) {
    request.tools = tools;
    if (options.toolChoice !== undefined) {
      request.tool_choice = toOpenAIToolChoice(options.toolChoice);
    }
    if (options.parallelToolCalls !== undefined) {
      request.parallel_tool_calls = options.parallelToolCalls;
    }
  }
  return request;
}

export function toOpenAIMessage(message: llm.ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      if (message.toolCalls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // null, not '': a reply that is only calls has no text.
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    case 'tool':
      // OpenAI has no error flag: the core writes failures as "Error: ..." in the content.
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/** Standard JSON Schema straight from the tool's zod parameters. */
export function toOpenAITool(schema: llm.ToolSchema): ChatCompletionTool {
  return {
    type: 'function',
    function: {
      name: schema.name,
      description: schema.description,
      parameters: schema.parameters,
    },
  };
}

export function toOpenAIToolChoice(choice: llm.ToolChoice): ChatCompletionToolChoiceOption {
  if (typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.name } };
}
