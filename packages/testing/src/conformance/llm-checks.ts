import { AssertionError, deepStrictEqual } from 'node:assert';
import { getEventListeners } from 'node:events';
import { llm, type metrics } from '@agents/core';
import { assertAPIError, rejection } from './errors.js';
import {
  firstText,
  LLM_AFTER_TOOL,
  LLM_LONG_TEXT,
  LLM_TEXT,
  LLM_TOOL_CALL,
  openRequests,
  readReply,
  userAsks,
  withLLM,
} from './llm-read.js';
import { LeakCheck } from './resources.js';
import { skipCheck } from './runner.js';
import { eventually, returnsPromptly } from './timing.js';
import type { ConformanceCheck, LLMConformanceOptions, ServiceControl } from './types.js';

type Check = ConformanceCheck<LLMConformanceOptions>;

export const streamTextCheck: Check = {
  id: 'stream-text',
  title: "a streamed reply's chunks join into the reply's text, under one request id",
  timeoutMs: 60_000,
  run: (options) =>
    withLLM(options, [{ text: LLM_TEXT }], async (session) => {
      const model = await session.model();
      const { text } = await readReply(model.chat({ chatCtx: userAsks() }), 'chat()');
      if (text !== LLM_TEXT) {
        throw new AssertionError({
          message: `the chunks' text joins into ${JSON.stringify(text)}, not the reply ${JSON.stringify(LLM_TEXT)}`,
          actual: text,
          expected: LLM_TEXT,
        });
      }
    }),
};

export const toolCallCheck: Check = {
  id: 'tool-call',
  title: 'a tool call arrives whole with its arguments, runs once, and its result gets an answer',
  timeoutMs: 60_000,
  run: (options) =>
    withLLM(options, [{ toolCall: LLM_TOOL_CALL }, { text: LLM_AFTER_TOOL }], async (session) => {
      const model = await session.model();
      const runs: unknown[] = [];
      // No parameters declared: the check is about the arguments the plugin assembled,
      // which it compares as JSON; validating them against a schema is core's job.
      const fncCtx: llm.ToolContext = {
        [LLM_TOOL_CALL.name]: llm.tool({
          description: 'The weather forecast for a city',
          execute: (args) => {
            runs.push(args);
            return 'sunny, 21 degrees';
          },
        }),
      };
      const chatCtx = userAsks('What is the weather in Paris?');
      const stream = model.chat({ chatCtx, fncCtx });
      await readReply(stream, 'chat() with a tool');
      const calls = stream.functionCalls;
      if (calls.length !== 1 || calls[0]?.name !== LLM_TOOL_CALL.name) {
        throw new AssertionError({
          message: `expected one call of ${LLM_TOOL_CALL.name}, got ${JSON.stringify(calls)}`,
        });
      }
      const call = calls[0];
      let args: unknown;
      try {
        args = JSON.parse(call.arguments);
      } catch {
        throw new AssertionError({
          message: `the call's arguments are not whole JSON: ${JSON.stringify(call.arguments)}`,
        });
      }
      deepStrictEqual(args, { ...LLM_TOOL_CALL.arguments }, "the call's arguments");
      if (!call.id) throw new AssertionError({ message: 'the call has no id' });
      const results = await returnsPromptly('executeFunctions()', stream.executeFunctions());
      if (runs.length !== 1 || results[0]?.status !== 'ok') {
        throw new AssertionError({
          message: `the tool ran ${runs.length} times (status ${results[0]?.status}); expected once, ok`,
        });
      }
      chatCtx.appendToolCalls(calls).appendToolResults(results);
      const after = await readReply(model.chat({ chatCtx, fncCtx }), 'chat() after the result');
      if (after.text !== LLM_AFTER_TOOL) {
        throw new AssertionError({
          message: `after the tool result the reply is ${JSON.stringify(after.text)}`,
        });
      }
      if (runs.length !== 1) {
        throw new AssertionError({ message: `the tool ran ${runs.length} times, not once` });
      }
    }),
};

async function assertRequestsEnded(service: ServiceControl, how: string): Promise<void> {
  await eventually(
    `after ${how}, the service still has ${openRequests(service)} request(s) open`,
    () => openRequests(service) === 0,
  );
}

function stopCheck(id: string, how: 'break' | 'close' | 'signal'): Check {
  const titles = {
    break: '`break` out of for-await mid-reply',
    close: 'close() mid-reply',
    signal: "aborting the chat's signal mid-reply",
  };
  return {
    id,
    title: `${titles[how]} returns promptly and the service sees the request end`,
    timeoutMs: 60_000,
    run: (options) =>
      withLLM(options, [{ text: LLM_LONG_TEXT }], async (session) => {
        const model = await session.model();
        const abort = new AbortController();
        const stream = model.chat({ chatCtx: userAsks(), signal: abort.signal });
        await firstText(stream, 'a long reply');
        if (how === 'break') {
          await returnsPromptly(titles.break, async () => {
            for await (const _chunk of stream) break;
          });
        } else if (how === 'close') {
          await returnsPromptly(titles.close, stream.close());
        } else {
          abort.abort();
          // Whatever was buffered may still come out; then the end, promptly.
          await returnsPromptly('the reply to end after the abort', async () => {
            for await (const _chunk of stream) {
            }
          });
        }
        if (!(await stream.next()).done) {
          throw new AssertionError({ message: `a chunk came after ${titles[how]}` });
        }
        await assertRequestsEnded(session.service, titles[how]);
      }),
  };
}

function errorCheck(id: string, status: number): Check {
  const retryable = status >= 500;
  return {
    id,
    title: `an HTTP ${status} fails with an APIStatusError, retryable: ${retryable}`,
    timeoutMs: 90_000,
    run: (options) =>
      withLLM(options, [], async (session) => {
        const { service } = session;
        if (!service.failNext) skipCheck('the service cannot fail on demand (no failNext)');
        const model = await session.model();
        // More failures than any sane retry budget: the error must reach the caller.
        service.failNext(status, 50);
        const what = `chat() against HTTP ${status}`;
        const reading = readReply(model.chat({ chatCtx: userAsks() }), what);
        const error = await returnsPromptly(what, rejection(reading, what), 60_000);
        assertAPIError(error, { kind: 'status', status, retryable }, what);
      }),
  };
}

export const badKeyCheck: Check = {
  id: 'bad-key',
  title: 'a refused key fails promptly with a 401/403 APIStatusError, not retryable',
  timeoutMs: 60_000,
  run: (options) =>
    withLLM(options, [], async (session) => {
      const model = await session.modelWithBadKey();
      const what = 'chat() with a bad key';
      const reading = readReply(model.chat({ chatCtx: userAsks() }), what);
      const error = await returnsPromptly(what, rejection(reading, what), 10_000);
      assertAPIError(error, { kind: 'status', status: [401, 403], retryable: false }, what);
    }),
};

export const metricsCheck: Check = {
  id: 'metrics',
  title: 'metrics_collected: one per reply, ttft >= 0, token counts that add up',
  timeoutMs: 60_000,
  run: (options) =>
    withLLM(options, [{ text: LLM_TEXT }], async (session) => {
      const model = await session.model();
      const seen: metrics.LLMMetrics[] = [];
      model.on('metrics_collected', (m) => void seen.push(m));
      await readReply(model.chat({ chatCtx: userAsks() }), 'chat()');
      await eventually('metrics_collected after the reply', () => seen.length >= 1);
      const m = seen[0] as metrics.LLMMetrics;
      const problems: string[] = [];
      if (seen.length !== 1) problems.push(`${seen.length} reports for one reply`);
      if (m.label !== model.label) problems.push(`label ${m.label}, not ${model.label}`);
      if (!(m.ttftMs >= 0)) problems.push(`ttftMs ${m.ttftMs} (must be >= 0 once text came)`);
      if (!(m.durationMs >= m.ttftMs)) problems.push(`durationMs ${m.durationMs} < ttftMs`);
      if (!(m.completionTokens > 0)) {
        problems.push(`completionTokens ${m.completionTokens}: ask the service for usage`);
      }
      if (!(m.promptTokens >= 0) || m.totalTokens !== m.promptTokens + m.completionTokens) {
        problems.push(`tokens ${m.promptTokens} + ${m.completionTokens} != ${m.totalTokens}`);
      }
      if (m.cancelled) problems.push('cancelled, though the reply ran to its end');
      if (problems.length > 0) {
        throw new AssertionError({ message: `metrics_collected: ${problems.join('; ')}` });
      }
    }),
};

export const nothingLeftCheck: Check = {
  id: 'nothing-left',
  title: 'after the replies: no sockets, timers or listeners left running',
  timeoutMs: 90_000,
  run: (options) =>
    withLLM(options, [{ text: LLM_TEXT }, { text: LLM_LONG_TEXT }], async (session) => {
      const leaks = new LeakCheck();
      const model = await session.model();
      leaks.watch('llm', model);
      const signal = new AbortController();
      // A stream must drop its abort listener when it ends, or a long-lived signal collects them.
      leaks.watch('the chat signal', {
        listenerCount: () => getEventListeners(signal.signal, 'abort').length,
        eventNames: () => ['abort'],
      });
      await readReply(model.chat({ chatCtx: userAsks(), signal: signal.signal }), 'chat()');
      const cut = model.chat({ chatCtx: userAsks(), signal: signal.signal });
      await firstText(cut, 'a long reply');
      await cut.close();
      await eventually(
        'connections to the service after the replies',
        () => session.service.openConnections() === 0,
      );
      // Generous: HTTP keep-alive sockets of the runtime's pool close on their own timer.
      await leaks.assertNothingLeft('after the replies', 15_000);
    }),
};

export const errorChecks: Check[] = [
  errorCheck('error-retryable', 500),
  errorCheck('error-permanent', 400),
];

export const stopChecks: Check[] = [
  stopCheck('abort-break', 'break'),
  stopCheck('abort-close', 'close'),
  stopCheck('abort-signal', 'signal'),
];
