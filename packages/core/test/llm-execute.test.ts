import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  ChatContext,
  executeFunctions,
  type FunctionCall,
  type ToolCallOptions,
  tool,
} from '../src/llm/index.js';
import { Future } from '../src/utils/future.js';
import { sleep } from '../src/utils/sleep.js';

let nextId = 0;
const callOf = (name: string, args: unknown): FunctionCall => ({
  id: `call_${++nextId}`,
  name,
  arguments: typeof args === 'string' ? args : JSON.stringify(args),
});

const weather = tool({
  description: 'Current weather',
  parameters: z.object({
    city: z.string(),
    unit: z.enum(['c', 'f']).optional(),
    days: z.number(),
  }),
  execute: async ({ city, unit = 'c', days }) => ({ city, unit, days, sky: 'sunny' }),
});

describe('executeFunctions', () => {
  it('validates arguments and runs the tool', async () => {
    const call = callOf('weather', { city: 'Paris', days: 3 });
    const [result] = await executeFunctions({ calls: [call], fncCtx: { weather } });

    expect(result).toMatchObject({ call, status: 'ok' });
    expect(result?.result).toEqual({ city: 'Paris', unit: 'c', days: 3, sky: 'sunny' });
    // The integer 3 is a fine z.number(): the bug of the reference is not repeated.
    expect(result?.message).toMatchObject({
      role: 'tool',
      toolCallId: call.id,
      name: 'weather',
      isError: false,
      content: '{"city":"Paris","unit":"c","days":3,"sky":"sunny"}',
    });
  });

  it('infers the argument types from the schema', () => {
    tool({
      description: 'typed',
      parameters: z.strictObject({ city: z.string(), days: z.int().optional() }),
      execute: (args, options) => {
        expectTypeOf(args).toEqualTypeOf<{ city: string; days?: number | undefined }>();
        expectTypeOf(options).toEqualTypeOf<ToolCallOptions>();
      },
    });
  });

  it('returns bad calls to the model as error results it can act on', async () => {
    const calls = [
      callOf('weather', '{"city": "Paris", '),
      callOf('weather', { city: 42, days: 1 }),
      callOf('weather', { days: 1, unit: 'kelvin' }),
      callOf('forecast', { city: 'Paris' }),
      callOf('weather', '[1, 2]'),
    ];
    const results = await executeFunctions({ calls, fncCtx: { weather } });

    expect(results.map((r) => r.status)).toEqual([
      'invalid_arguments',
      'invalid_arguments',
      'invalid_arguments',
      'unknown_tool',
      'invalid_arguments',
    ]);
    expect(results.every((r) => r.message.isError && r.message.content.startsWith('Error: '))).toBe(
      true,
    );
    const [badJson, wrongType, missingAndEnum, unknown, notObject] = results.map(
      (r) => r.message.content,
    );
    expect(badJson).toMatch(
      /invalid arguments for tool "weather": the arguments are not valid JSON/,
    );
    expect(wrongType).toMatch(/- city: Invalid input: expected string, received number/);
    expect(missingAndEnum).toMatch(/- city: required, but missing/);
    expect(missingAndEnum).toMatch(/- unit: Invalid option: expected one of "c"\|"f"/);
    expect(missingAndEnum).toMatch(/Call it again with arguments that match its parameters\./);
    expect(unknown).toBe('Error: there is no tool named "forecast" (tools: weather)');
    expect(notObject).toMatch(/- \(arguments\): Invalid input: expected object, received array/);
  });

  it('accepts empty arguments for a tool without parameters', async () => {
    const now = tool({ description: 'time', execute: () => '12:00' });
    const [result] = await executeFunctions({ calls: [callOf('now', '')], fncCtx: { now } });

    expect(result?.message.content).toBe('12:00');
  });

  it('turns a throwing tool into an error result', async () => {
    const boom = new Error('database unreachable');
    const fncCtx = {
      rejects: tool({ description: '', execute: async () => Promise.reject(boom) }),
      throws: tool({
        description: '',
        execute: () => {
          throw boom;
        },
      }),
      circular: tool({
        description: '',
        execute: () => {
          const value: Record<string, unknown> = {};
          value.self = value;
          return value;
        },
      }),
    };
    const calls = [callOf('rejects', {}), callOf('throws', {}), callOf('circular', {})];
    const results = await executeFunctions({ calls, fncCtx });

    expect(results.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    expect(results[0]).toMatchObject({ error: boom, message: { isError: true } });
    expect(results[0]?.message.content).toBe('Error: tool "rejects" failed: database unreachable');
    expect(results[1]?.message.content).toBe('Error: tool "throws" failed: database unreachable');
    expect(results[2]?.message.content).toMatch(/"circular" returned a result that cannot be sent/);
  });

  it('sends strings as they are and anything else as JSON', async () => {
    const fncCtx = {
      prose: tool({ description: '', execute: () => 'It is "sunny".' }),
      number: tool({ description: '', execute: () => 21.5 }),
      nothing: tool({ description: '', execute: () => undefined }),
    };
    const calls = [callOf('prose', {}), callOf('number', {}), callOf('nothing', {})];
    const results = await executeFunctions({ calls, fncCtx });

    expect(results.map((r) => r.message.content)).toEqual(['It is "sunny".', '21.5', '']);
  });

  it('runs calls in parallel, returning results in call order', async () => {
    const started: string[] = [];
    const allStarted = new Future<void>();
    const slowFirst = tool({
      description: '',
      parameters: z.object({ name: z.string(), ms: z.number() }),
      execute: async ({ name, ms }) => {
        started.push(name);
        if (started.length === 3) allStarted.resolve();
        // Every call waits until all three run: this only finishes if they overlap.
        await allStarted.promise;
        await sleep(ms);
        return name;
      },
    });
    const calls = [
      callOf('slowFirst', { name: 'a', ms: 30 }),
      callOf('slowFirst', { name: 'b', ms: 10 }),
      callOf('slowFirst', { name: 'c', ms: 0 }),
    ];
    const results = await executeFunctions({ calls, fncCtx: { slowFirst } });

    expect(results.map((r) => r.call.id)).toEqual(calls.map((c) => c.id));
    expect(results.map((r) => r.message.content)).toEqual(['a', 'b', 'c']);
  });

  it('runs calls one after another when parallel is off', async () => {
    const events: string[] = [];
    let running = 0;
    const step = tool({
      description: '',
      parameters: z.object({ name: z.string(), ms: z.number() }),
      execute: async ({ name, ms }) => {
        running++;
        events.push(`start ${name} (${running} running)`);
        await sleep(ms);
        events.push(`end ${name}`);
        running--;
        return name;
      },
    });
    const calls = [
      callOf('step', { name: 'a', ms: 20 }),
      callOf('step', { name: 'b', ms: 0 }),
      callOf('step', { name: 'c', ms: 5 }),
    ];
    const results = await executeFunctions({ calls, fncCtx: { step }, parallel: false });

    expect(events).toEqual([
      'start a (1 running)',
      'end a',
      'start b (1 running)',
      'end b',
      'start c (1 running)',
      'end c',
    ]);
    expect(results.map((r) => r.message.content)).toEqual(['a', 'b', 'c']);
  });

  it('on abort, resolves at once: finished calls keep results, the rest are cancelled', async () => {
    const abort = new AbortController();
    const signals: AbortSignal[] = [];
    const fncCtx = {
      fast: tool({ description: '', execute: () => 'done' }),
      // Ignores its signal on purpose: the caller must not wait for it.
      stuck: tool({
        description: '',
        execute: (_args, { signal }) => {
          signals.push(signal);
          setTimeout(() => abort.abort(), 5);
          return new Promise<string>(() => {});
        },
      }),
      // Stops on abort, as a well-behaved tool does, by throwing the abort reason.
      polite: tool({
        description: '',
        execute: async (_args, { signal }) => {
          signals.push(signal);
          await sleep(60_000, signal);
          return 'never';
        },
      }),
    };
    const calls = [callOf('fast', {}), callOf('stuck', {}), callOf('polite', {})];
    const results = await executeFunctions({ calls, fncCtx, signal: abort.signal });

    expect(results.map((r) => r.status)).toEqual(['ok', 'cancelled', 'cancelled']);
    expect(results[1]?.message).toMatchObject({
      toolCallId: calls[1]?.id,
      isError: true,
      content: 'Error: the call to tool "stuck" was cancelled',
    });
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('in sequential mode, never starts the calls after an abort', async () => {
    const abort = new AbortController();
    const started: string[] = [];
    const step = tool({
      description: '',
      parameters: z.object({ name: z.string() }),
      execute: async ({ name }, { signal }) => {
        started.push(name);
        abort.abort();
        await sleep(60_000, signal);
      },
    });
    const calls = [callOf('step', { name: 'a' }), callOf('step', { name: 'b' })];
    const results = await executeFunctions({
      calls,
      fncCtx: { step },
      parallel: false,
      signal: abort.signal,
    });
    await sleep(10);

    expect(started).toEqual(['a']);
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('runs nothing when the signal is already aborted', async () => {
    let ran = false;
    const fnc = tool({
      description: '',
      execute: () => {
        ran = true;
      },
    });
    const results = await executeFunctions({
      calls: [callOf('fnc', {})],
      fncCtx: { fnc },
      signal: AbortSignal.abort(),
    });

    expect(ran).toBe(false);
    expect(results.map((r) => r.status)).toEqual(['cancelled']);
  });

  it('hands the tool its call id and the conversation', async () => {
    const chatCtx = new ChatContext().append({ role: 'user', content: 'hi' });
    let seen: ToolCallOptions | undefined;
    const fnc = tool({
      description: '',
      execute: (_args, options) => {
        seen = options;
      },
    });
    const call = callOf('fnc', {});
    await executeFunctions({ calls: [call], fncCtx: { fnc }, chatCtx });

    expect(seen?.toolCallId).toBe(call.id);
    expect(seen?.ctx).toBe(chatCtx);
    expect(seen?.signal.aborted).toBe(false);
  });
});
