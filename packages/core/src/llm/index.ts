export {
  type AssistantMessage,
  ChatContext,
  type ChatMessage,
  type ChatMessageInit,
  type ChatRole,
  chatMessage,
  type FunctionCall,
  type SystemMessage,
  type ToolMessage,
  type UserMessage,
} from './chat-context.js';
export {
  type ExecuteFunctionsOptions,
  executeFunctions,
  type FunctionCallResult,
  type FunctionCallStatus,
} from './execute.js';
export { type ChatOptions, LLM, type ToolChoice, validateChatOptions } from './llm.js';
export { type ChatChunk, type ChoiceDelta, type CompletionUsage, LLMStream } from './llm-stream.js';
export type { JSONSchema } from './schema.js';
export {
  type FunctionTool,
  resolveTools,
  type ToolCallOptions,
  type ToolContext,
  type ToolDefinition,
  type ToolParameters,
  type ToolSchema,
  tool,
  toolSchemas,
} from './tool.js';
