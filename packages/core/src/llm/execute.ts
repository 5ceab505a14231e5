import { log } from '../log.js';
import { abortable, errorMessage } from '../utils/deadline.js';
import { parseArguments } from './arguments.js';
import {
  type ChatContext,
  chatMessage,
  type FunctionCall,
  type ToolMessage,
} from './chat-context.js';
import { type FunctionTool, resolveTools, type ToolContext } from './tool.js';

/**
 * How a call ended. Only `ok` ran to completion; the others reach the model as an
 * error result (`message.isError`) that says what went wrong.
 */
export type FunctionCallStatus =
  | 'ok'
  | 'unknown_tool'
  | 'invalid_arguments'
  | 'failed'
  | 'cancelled';

/** The outcome of one function call. */
export interface FunctionCallResult {
  readonly call: FunctionCall;
  readonly status: FunctionCallStatus;
  /** What `execute` returned, when `status` is `ok`. */
  readonly result?: unknown;
  /** What `execute` threw, when `status` is `failed`. */
  readonly error?: unknown;
  /** The result as the model will read it: append it to the chat context. */
  readonly message: ToolMessage;
}

/** What `executeFunctions` takes. */
export interface ExecuteFunctionsOptions {
  /** The calls, in the order the model made them. */
  calls: readonly FunctionCall[];
  fncCtx: ToolContext;
  /** Run the calls at once (default) or one after another, in order. */
  parallel?: boolean;
  /** Cancels the calls: passed to every `execute`, and stops the wait for them. */
  signal?: AbortSignal;
  /** The conversation, handed to every `execute` as `ctx`. */
  chatCtx?: ChatContext;
}

/**
 * Runs function calls and returns one result per call, in call order, ready for
 * `chatCtx.appendToolResults(results)`.
 *
 * Nothing a call does makes this reject: an unknown tool, arguments that are not
 * JSON or fail validation, and a throwing `execute` all become error results the
 * model can act on. Only a `fncCtx` with invalid or duplicate names throws.
 *
 * When `signal` aborts, it resolves at once instead of rejecting: calls that had
 * finished keep their results and the others are `cancelled`. The history needs a
 * result for every call the model made (providers reject a call left unanswered),
 * so even an interrupted turn can be recorded. A tool that ignores the signal is
 * no longer waited for; whatever it does later is dropped. In sequential mode the
 * calls after an abort never start.
 */
export async function executeFunctions(
  options: ExecuteFunctionsOptions,
): Promise<FunctionCallResult[]> {
  const { calls, parallel = true, chatCtx } = options;
  const signal = options.signal ?? new AbortController().signal;
  const tools = resolveTools(options.fncCtx);
  const results: (FunctionCallResult | undefined)[] = calls.map(() => undefined);
  const runAt = async (index: number) => {
    results[index] = await runCall(calls[index]!, tools, signal, chatCtx);
  };

  const allDone = parallel
    ? Promise.all(calls.map((_, index) => runAt(index)))
    : (async () => {
        for (let index = 0; index < calls.length && !signal.aborted; index++) await runAt(index);
      })();
  await settledOrAborted(allDone, signal);
  // Read now: a call still running after an abort must not change what was returned.
  return calls.map((call, index) => results[index] ?? cancelled(call));
}

async function runCall(
  call: FunctionCall,
  tools: ReadonlyMap<string, FunctionTool>,
  signal: AbortSignal,
  ctx: ChatContext | undefined,
): Promise<FunctionCallResult> {
  if (signal.aborted) return cancelled(call);
  const fnc = tools.get(call.name);
  if (!fnc) {
    const known = [...tools.keys()].join(', ') || 'none';
    log().warn({ tool: call.name, toolCallId: call.id }, 'model called an unknown tool');
    return failure(call, 'unknown_tool', `there is no tool named "${call.name}" (tools: ${known})`);
  }
  const parsed = parseArguments(call, fnc);
  if (!parsed.ok) {
    log().warn({ tool: call.name, toolCallId: call.id }, 'model sent invalid tool arguments');
    return failure(
      call,
      'invalid_arguments',
      `invalid arguments for tool "${call.name}": ${parsed.problem}\n` +
        'Call it again with arguments that match its parameters.',
    );
  }
  let value: unknown;
  try {
    value = await fnc.execute(parsed.args, { signal, toolCallId: call.id, ctx });
  } catch (error) {
    // A tool that stops on abort usually throws an AbortError: that is a cancellation.
    if (signal.aborted) return cancelled(call);
    log().warn({ err: error, tool: call.name, toolCallId: call.id }, 'tool failed');
    return failure(call, 'failed', `tool "${call.name}" failed: ${errorMessage(error)}`, error);
  }
  let content: string;
  try {
    content = toContent(value);
  } catch (error) {
    log().warn({ err: error, tool: call.name }, 'tool result is not serializable');
    const reason = `tool "${call.name}" returned a result that cannot be sent as JSON`;
    return failure(call, 'failed', `${reason} (${errorMessage(error)})`, error);
  }
  return { call, status: 'ok', result: value, message: toolMessage(call, content, false) };
}

/** Strings go as they are: a tool that returns prose should not reach the model quoted. */
function toContent(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

function failure(
  call: FunctionCall,
  status: Exclude<FunctionCallStatus, 'ok'>,
  explanation: string,
  error?: unknown,
): FunctionCallResult {
  // "Error:" first, because some providers carry no error flag and the model sees only text.
  const message = toolMessage(call, `Error: ${explanation}`, true);
  return error === undefined ? { call, status, message } : { call, status, error, message };
}

function cancelled(call: FunctionCall): FunctionCallResult {
  return failure(call, 'cancelled', `the call to tool "${call.name}" was cancelled`);
}

function toolMessage(call: FunctionCall, content: string, isError: boolean): ToolMessage {
  return chatMessage({ role: 'tool', toolCallId: call.id, name: call.name, content, isError });
}

/** Resolves when `work` settles or `signal` aborts, whichever comes first; never rejects. */
function settledOrAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return abortable(work, signal).then(noop, noop);
}

function noop(): void {}
