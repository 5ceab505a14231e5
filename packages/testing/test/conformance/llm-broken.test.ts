import { describe, expect, it } from 'vitest';
import { type LLMConformanceOptions, llmChecks, runCheck } from '../../src/conformance/index.js';
import { scaledMs } from '../../src/time.js';
import { type LLMFlaw, ToyLLM } from './llm-toy.js';
import { GOOD_KEY, ToyService } from './tts-toy.js';

function options(flaws: LLMFlaw[] = []): LLMConformanceOptions {
  return {
    name: 'toy LLM',
    service: async () => new ToyService(),
    create: (service) => new ToyLLM(service as ToyService, GOOD_KEY, flaws),
    createWithBadKey: (service) => new ToyLLM(service as ToyService, 'wrong', flaws),
    prepare: (service, replies) => void (service as ToyService).replies.push(...replies),
  };
}

function check(id: string) {
  const found = llmChecks.find((c) => c.id === id);
  if (!found) throw new Error(`no LLM check ${id}`);
  return found;
}

// Registration forks a process and needs a package: kit-a's tests cover the helper.
const runnable = llmChecks.filter((c) => c.id !== 'registration');

describe('the LLM conformance checks', () => {
  for (const c of runnable) {
    it(`pass a correct LLM: ${c.id}`, () => runCheck(c, options()), c.timeoutMs + scaledMs(20_000));
  }

  const broken: [LLMFlaw, string, RegExp][] = [
    ['drops-chunks', 'stream-text', /joins into/],
    ['splits-tool-call', 'tool-call', /expected one call of get_weather/],
    ['keeps-request-open', 'abort-break', /still has 1 request/],
    ['keeps-request-open', 'abort-close', /still has 1 request/],
    ['keeps-request-open', 'abort-signal', /still has 1 request/],
    ['untyped-errors', 'error-retryable', /expected an APIStatusError/],
    ['retryable-4xx', 'error-permanent', /retryable=false/],
    ['bad-key-retryable', 'bad-key', /retryable=false/],
    ['no-usage', 'metrics', /completionTokens 0/],
    ['leaks-listener', 'nothing-left', /the chat signal 'abort' listeners/],
  ];
  for (const [flaw, id, message] of broken) {
    it(
      `reject an LLM with the flaw ${flaw}: ${id}`,
      async () => {
        const error = await runCheck(check(id), options([flaw])).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${id} passed an LLM with ${flaw}`).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(message);
      },
      check(id).timeoutMs + scaledMs(20_000),
    );
  }
});
