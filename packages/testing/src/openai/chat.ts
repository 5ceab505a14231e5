import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ChatRequest,
  type ChatRequestMessage,
  checkChatRequest,
  messageText,
} from './chat-request.js';
import { cutConnection, type Exchange, sendJson, streamChunks } from './http.js';
import type { OpenAIChatReply } from './types.js';

/** A reply, resolved into exactly what will be sent. */
interface ReplyPlan {
  id: string;
  created: number;
  model: string;
  pieces: string[];
  toolCalls: { id: string; name: string; arguments: string }[];
  fragments: number;
  interleave: boolean;
  finishReason: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/**
 * Answers `/v1/chat/completions`: the reply the script gives (`takeReply` is
 * called only once the request is known to be valid), else one derived from the
 * conversation. Streams SSE chunks when asked to, as the real service does.
 */
export async function handleChat(
  exchange: Exchange,
  body: Record<string, unknown>,
  takeReply: () => OpenAIChatReply | undefined,
): Promise<void> {
  const request = checkChatRequest(body);
  const reply = takeReply() ?? defaultReply(request.messages);
  const plan = planReply(request, reply, exchange.record.seq);
  if (request.stream) {
    exchange.record.status = 200;
    exchange.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': exchange.requestId,
    });
    // Headers now, before a possibly slow first chunk, as the real service sends them.
    exchange.res.flushHeaders();
    await streamChunks(exchange, sseEvents(plan, request.includeUsage), reply);
    return;
  }
  const delay = Math.max(
    reply.firstChunkDelayMs ?? 0,
    exchange.fault?.kind === 'slow' ? exchange.fault.firstChunkDelayMs : 0,
  );
  if (delay > 0) await sleep(delay, undefined, { signal: exchange.signal });
  if (exchange.fault?.kind === 'cut') cutConnection(exchange);
  else sendJson(exchange, 200, completion(plan));
}

/** Without a script: a short answer built from the conversation, so a demo has something to say. */
export function defaultReply(messages: ChatRequestMessage[]): OpenAIChatReply {
  const last = messages[messages.length - 1]!;
  const said = shorten(messageText(last).trim(), 200);
  if (last.role === 'tool') return { content: `The tool answered: ${said}` };
  if (last.role === 'user' && said) {
    return {
      content: `You said: "${said}". I am the offline OpenAI stand-in, so I can only repeat it.`,
    };
  }
  return { content: 'Hello! I am the offline OpenAI stand-in.' };
}

function planReply(request: ChatRequest, reply: OpenAIChatReply, seq: number): ReplyPlan {
  const pieces =
    typeof reply.content === 'string'
      ? reply.content.split(/(?<=\s)/).filter(Boolean)
      : (reply.content ?? []);
  const toolCalls = (reply.toolCalls ?? []).map((call, i) => ({
    id: call.id ?? `call_${seq}_${i + 1}`,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
  const completionText = pieces.join('') + toolCalls.map((c) => c.name + c.arguments).join('');
  const promptTokens =
    reply.usage?.promptTokens ?? Math.ceil(JSON.stringify(request.messages).length / 4);
  const completionTokens =
    reply.usage?.completionTokens ?? Math.max(1, Math.ceil(completionText.length / 4));
  return {
    id: `chatcmpl-standin${seq}`,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    pieces,
    toolCalls,
    fragments: Math.max(1, reply.argumentFragments ?? 3),
    interleave: reply.interleaveToolCalls ?? false,
    finishReason: reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

/** The SSE events of a streamed reply, `[DONE]` last. */
function* sseEvents(plan: ReplyPlan, includeUsage: boolean): Generator<string> {
  const event = (choices: unknown[], usage: unknown = null) => {
    const chunk = {
      id: plan.id,
      object: 'chat.completion.chunk',
      created: plan.created,
      model: plan.model,
      system_fingerprint: 'fp_standin',
      choices,
      // With include_usage, every chunk carries `usage`: null, except the last.
      ...(includeUsage ? { usage } : {}),
    };
    return `data: ${JSON.stringify(chunk)}\n\n`;
  };
  const delta = (fields: object, finishReason: string | null = null) =>
    event([{ index: 0, delta: fields, logprobs: null, finish_reason: finishReason }]);

  yield delta({ role: 'assistant', content: '', refusal: null });
  for (const piece of plan.pieces) yield delta({ content: piece });
  for (const toolCall of toolCallDeltas(plan)) yield delta({ tool_calls: [toolCall] });
  yield delta({}, plan.finishReason);
  if (includeUsage) yield event([], plan.usage);
  yield 'data: [DONE]\n\n';
}

/** Each call as a first delta (id, name) followed by its arguments in fragments. */
function toolCallDeltas(plan: ReplyPlan): object[] {
  const perCall = plan.toolCalls.map((call, index) => [
    { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
    ...split(call.arguments, plan.fragments).map((part) => ({
      index,
      function: { arguments: part },
    })),
  ]);
  if (!plan.interleave) return perCall.flat();
  const out: object[] = [];
  for (let round = 0; perCall.some((deltas) => round < deltas.length); round++) {
    for (const deltas of perCall) if (round < deltas.length) out.push(deltas[round]!);
  }
  return out;
}

function completion(plan: ReplyPlan): object {
  const content = plan.pieces.join('');
  const message = {
    role: 'assistant',
    content: content === '' && plan.toolCalls.length > 0 ? null : content,
    refusal: null,
    ...(plan.toolCalls.length > 0
      ? {
          tool_calls: plan.toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: call.arguments },
          })),
        }
      : {}),
  };
  return {
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    system_fingerprint: 'fp_standin',
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
    usage: plan.usage,
  };
}

/** `text` in `count` pieces of about equal length (by code point, so no character is cut). */
function split(text: string, count: number): string[] {
  const chars = Array.from(text);
  const size = Math.ceil(chars.length / count);
  if (size === 0) return [];
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += size) parts.push(chars.slice(i, i + size).join(''));
  return parts;
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
