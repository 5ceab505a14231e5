import { randomUUID } from 'node:crypto';

/** Who wrote a message. `tool` messages carry the result of one function call. */
export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant', 'tool'];

/** A function call the model asked for. */
export interface FunctionCall {
  /** The provider's id for the call; its result must quote it back (`toolCallId`). */
  readonly id: string;
  /** The tool's name, as given to the model. */
  readonly name: string;
  /**
   * The arguments as the model wrote them: JSON text, not yet parsed. Kept raw so the
   * history sends back exactly what the model produced, even when it is invalid.
   */
  readonly arguments: string;
}

interface MessageBase {
  /** Unique within the process; lets a UI or a transcript refer to the message. */
  readonly id: string;
  /** When the message was created, in ms since epoch. */
  readonly createdAt: number;
}

/** Instructions that frame the conversation. */
export interface SystemMessage extends MessageBase {
  readonly role: 'system';
  readonly content: string;
}

/** What the user said (a transcript, in a voice agent). */
export interface UserMessage extends MessageBase {
  readonly role: 'user';
  readonly content: string;
}

/** A reply of the model: text, function calls, or both. */
export interface AssistantMessage extends MessageBase {
  readonly role: 'assistant';
  /** '' when the reply was only function calls. */
  readonly content: string;
  /** Empty when the reply was only text. */
  readonly toolCalls: readonly FunctionCall[];
}

/** The result of one function call, sent back so the model can use it. */
export interface ToolMessage extends MessageBase {
  readonly role: 'tool';
  /** The `id` of the call this answers. */
  readonly toolCallId: string;
  /** The tool's name (some providers want it next to the result). */
  readonly name: string;
  /** The result as text: JSON for structured results, or an explanation of the failure. */
  readonly content: string;
  /**
   * The call failed (invalid arguments, unknown tool, the tool threw, cancelled).
   * Providers without such a flag only see `content`, so it always explains the failure.
   */
  readonly isError: boolean;
}

/** One entry of a conversation. Narrow on `role`. */
export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

type Init<M extends ChatMessage> = Omit<M, 'id' | 'createdAt'> & {
  id?: string;
  createdAt?: number;
};

/**
 * What it takes to write a message: `id` and `createdAt` are filled in, an assistant's
 * `content` and `toolCalls` and a tool result's `isError` have defaults. A complete
 * `ChatMessage` is also accepted, and keeps its id.
 */
export type ChatMessageInit =
  | Init<SystemMessage>
  | Init<UserMessage>
  | (Omit<Init<AssistantMessage>, 'content' | 'toolCalls'> & {
      content?: string;
      toolCalls?: readonly FunctionCall[];
    })
  | (Omit<Init<ToolMessage>, 'isError'> & { isError?: boolean });

/**
 * Builds a complete message from `init`. Everything is copied, so the message shares
 * nothing with `init`; wrong shapes from untyped callers fail here, not at the provider.
 */
export function chatMessage<I extends ChatMessageInit>(
  init: I,
): Extract<ChatMessage, { role: I['role'] }>;
export function chatMessage(init: ChatMessageInit): ChatMessage {
  if (!ROLES.includes(init.role)) {
    throw new TypeError(`unknown chat role ${JSON.stringify(init.role)}; use ${ROLES.join(', ')}`);
  }
  const base = { id: init.id ?? randomUUID(), createdAt: init.createdAt ?? Date.now() };
  switch (init.role) {
    case 'system':
    case 'user':
      return { ...base, role: init.role, content: requireString(init, 'content') };
    case 'assistant':
      return {
        ...base,
        role: 'assistant',
        content: init.content ?? '',
        toolCalls: (init.toolCalls ?? []).map(copyCall),
      };
    case 'tool':
      return {
        ...base,
        role: 'tool',
        toolCallId: requireString(init, 'toolCallId'),
        name: requireString(init, 'name'),
        content: requireString(init, 'content'),
        isError: init.isError ?? false,
      };
  }
}

function copyCall(call: FunctionCall): FunctionCall {
  return { id: call.id, name: call.name, arguments: call.arguments };
}

function requireString<T extends object>(init: T, field: keyof T & string): string {
  const value = init[field];
  if (typeof value !== 'string') {
    const role = (init as { role?: unknown }).role;
    throw new TypeError(`a ${String(role)} message needs a string ${field}`);
  }
  return value;
}

/**
 * A conversation: the messages an LLM sees, oldest first. Every context owns its
 * list and its messages (appending copies them), so contexts never share state;
 * `copy()` gives a branch that can be changed without touching the original.
 */
export class ChatContext {
  readonly messages: ChatMessage[] = [];

  /** A context holding copies of `messages`. */
  static from(messages: Iterable<ChatMessageInit>): ChatContext {
    const ctx = new ChatContext();
    for (const message of messages) ctx.append(message);
    return ctx;
  }

  /** Adds a message at the end; returns the context, so calls can be chained. */
  append(message: ChatMessageInit): this {
    this.messages.push(chatMessage(message));
    return this;
  }

  /**
   * Records a reply of the model that asked for function calls. It must come before
   * the results of those calls: providers reject a result whose call is not in the history.
   */
  appendToolCalls(calls: readonly FunctionCall[], content = ''): this {
    return this.append({ role: 'assistant', content, toolCalls: calls });
  }

  /** Adds the results of function calls (from `executeFunctions`), in the order given. */
  appendToolResults(results: readonly { readonly message: ToolMessage }[]): this {
    for (const result of results) this.append(result.message);
    return this;
  }

  /** A context with copies of the messages (same ids): changing one leaves the other as it was. */
  copy(): ChatContext {
    return ChatContext.from(this.messages);
  }
}
