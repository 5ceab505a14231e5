import { OpenAIHttpError } from './http.js';

/** The parts of a chat completions request the stand-in reads, once checked. */
export interface ChatRequest {
  model: string;
  messages: ChatRequestMessage[];
  stream: boolean;
  includeUsage: boolean;
  toolNames: string[];
}

/** A message as the client sent it. */
export interface ChatRequestMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: unknown;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const JSON_SCHEMA_TYPES = new Set([
  'string',
  'number',
  'integer',
  'boolean',
  'object',
  'array',
  'null',
]);

/**
 * Checks a request the way the real service does, with its wording, so that a
 * client bug (a tool result without its call, a non-standard schema type, tool
 * options without tools) fails here as it would in production.
 */
export function checkChatRequest(body: Record<string, unknown>): ChatRequest {
  if (typeof body.model !== 'string' || body.model === '') {
    throw invalid('you must provide a model parameter', 'model');
  }
  const messages = checkMessages(body.messages);
  const toolNames = checkTools(body.tools);
  const noTools = toolNames.length === 0;
  if (body.tool_choice !== undefined) {
    if (noTools) {
      throw invalid(
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
        'tool_choice',
      );
    }
    checkToolChoice(body.tool_choice, toolNames);
  }
  if (body.parallel_tool_calls !== undefined && noTools) {
    throw invalid(
      "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.",
      'parallel_tool_calls',
    );
  }
  const stream = body.stream === true;
  if (body.stream_options !== undefined && body.stream_options !== null && !stream) {
    throw invalid(
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      'stream_options',
    );
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw invalid('the stand-in answers with one choice: n must be 1', 'n');
  }
  const temperature = body.temperature;
  if (
    temperature !== undefined &&
    temperature !== null &&
    !(typeof temperature === 'number' && temperature >= 0 && temperature <= 2)
  ) {
    throw invalid(`Invalid 'temperature': expected a number between 0 and 2.`, 'temperature');
  }
  const options = body.stream_options as { include_usage?: unknown } | null | undefined;
  return {
    model: body.model,
    messages,
    stream,
    includeUsage: stream && options?.include_usage === true,
    toolNames,
  };
}

/** The text of a message, whether its content is a string or a list of parts. */
export function messageText(message: ChatRequestMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (typeof part?.text === 'string' ? (part.text as string) : ''))
    .join('');
}

function checkMessages(value: unknown): ChatRequestMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1.",
      'messages',
    );
  }
  // Ids of the last assistant message's calls that no tool message has answered yet.
  let unanswered = new Set<string>();
  const unansweredError = (index: number) =>
    invalid(
      "An assistant message with 'tool_calls' must be followed by tool messages responding to " +
        `each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...unanswered].join(', ')}`,
      `messages.[${index}].role`,
    );
  value.forEach((message: unknown, index) => {
    const m = message as ChatRequestMessage;
    if (typeof m !== 'object' || m === null || !ROLES.has(m.role)) {
      throw invalid(`Invalid value for 'messages[${index}].role'.`, `messages[${index}].role`);
    }
    if (m.role === 'tool') {
      if (typeof m.tool_call_id !== 'string' || !unanswered.has(m.tool_call_id)) {
        throw invalid(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding " +
            "message with 'tool_calls'.",
          `messages.[${index}].role`,
        );
      }
      unanswered.delete(m.tool_call_id);
      return;
    }
    if (unanswered.size > 0) throw unansweredError(index);
    if (m.role === 'assistant' && m.tool_calls !== undefined) {
      unanswered = checkToolCalls(m.tool_calls, index);
      if (m.content !== null && m.content !== undefined && typeof m.content !== 'string') {
        throw invalid(
          `Invalid type for 'messages[${index}].content'.`,
          `messages[${index}].content`,
        );
      }
    } else if (typeof m.content !== 'string' && !Array.isArray(m.content)) {
      throw invalid(
        `Invalid type for 'messages[${index}].content': expected one of a string or an array of objects.`,
        `messages[${index}].content`,
      );
    }
  });
  if (unanswered.size > 0) throw unansweredError(value.length);
  return value as ChatRequestMessage[];
}

function checkToolCalls(calls: unknown, index: number): Set<string> {
  const where = `messages[${index}].tool_calls`;
  if (!Array.isArray(calls) || calls.length === 0) {
    throw invalid(
      `Invalid '${where}': empty array. Expected an array with minimum length 1.`,
      where,
    );
  }
  const ids = new Set<string>();
  calls.forEach((call, i) => {
    const ok =
      typeof call?.id === 'string' &&
      call.type === 'function' &&
      typeof call.function?.name === 'string' &&
      typeof call.function?.arguments === 'string';
    if (!ok) {
      throw invalid(
        `Invalid '${where}[${i}]': expected { id, type: 'function', function: { name, arguments: string } }.`,
        `${where}[${i}]`,
      );
    }
    ids.add(call.id);
  });
  return ids;
}

function checkTools(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("Invalid type for 'tools': expected an array.", 'tools');
  return value.map((tool, i) => {
    const fn = tool?.function;
    if (tool?.type !== 'function' || typeof fn !== 'object' || fn === null) {
      throw invalid(`Missing required parameter: 'tools[${i}].function'.`, `tools[${i}].function`);
    }
    if (typeof fn.name !== 'string' || !TOOL_NAME.test(fn.name)) {
      throw invalid(
        `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `tools[${i}].function.name`,
      );
    }
    if (fn.parameters !== undefined) {
      const problem = schemaProblem(fn.parameters, '');
      if (problem) {
        throw invalid(
          `Invalid schema for function '${fn.name}': ${problem}`,
          `tools[${i}].function.parameters`,
          'invalid_function_parameters',
        );
      }
    }
    return fn.name as string;
  });
}

function checkToolChoice(choice: unknown, toolNames: string[]): void {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return;
  const name = (choice as { type?: unknown; function?: { name?: unknown } })?.function?.name;
  if ((choice as { type?: unknown })?.type === 'function' && typeof name === 'string') {
    if (toolNames.includes(name)) return;
    throw invalid(
      `Invalid value for 'tool_choice': no function named '${name}' was specified in the 'tools' parameter.`,
      'tool_choice',
    );
  }
  throw invalid("Invalid value for 'tool_choice'.", 'tool_choice');
}

/** The first place where `schema` is not JSON Schema a model can use, or undefined. */
function schemaProblem(schema: unknown, path: string): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return `${path || 'parameters'} is not a schema object`;
  }
  const s = schema as Record<string, unknown>;
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  for (const type of types) {
    if (typeof type !== 'string' || !JSON_SCHEMA_TYPES.has(type)) {
      return `${JSON.stringify(type)} is not valid under any of the given schemas (at ${path || 'the root'})`;
    }
  }
  if (path === '' && s.type !== 'object') {
    return 'schema must be a JSON Schema of \'type: "object"\'';
  }
  const children: [string, unknown][] = [];
  for (const [key, child] of Object.entries((s.properties as object) ?? {})) {
    children.push([`${path}/properties/${key}`, child]);
  }
  if (s.items !== undefined) children.push([`${path}/items`, s.items]);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = s[key];
    if (!Array.isArray(list)) continue;
    for (const [i, child] of list.entries()) children.push([`${path}/${key}/${i}`, child]);
  }
  for (const [childPath, child] of children) {
    const problem = schemaProblem(child, childPath);
    if (problem) return problem;
  }
  return undefined;
}

function invalid(message: string, param: string, code: string | null = null) {
  return new OpenAIHttpError(400, message, { code, param });
}
