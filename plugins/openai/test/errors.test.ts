import { type APIStatusError, APITimeoutError, utils } from '@agents/core';
import { APIError as OpenAIAPIError } from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { toAPIError } from '../src/errors.js';
import { loadSDK } from '../src/sdk.js';

// The plugin imports the SDK on its first request; errors of it can only come after that.
beforeAll(() => loadSDK());

function mapped(status: number, headers: Record<string, string> = {}) {
  const deadline = new utils.IdleDeadline({ timeoutMs: 1000, label: 'OpenAI' });
  const error = OpenAIAPIError.generate(status, { error: {} }, 'failed', new Headers(headers));
  return toAPIError(error, deadline) as APIStatusError;
}

describe('toAPIError', () => {
  it('follows x-should-retry over the status, as openai-node does', () => {
    expect(mapped(500).retryable).toBe(true);
    expect(mapped(500, { 'x-should-retry': 'false' }).retryable).toBe(false);
    expect(mapped(400).retryable).toBe(false);
    expect(mapped(400, { 'x-should-retry': 'true' }).retryable).toBe(true);
  });

  it('keeps a wrong key permanent, whatever the hint', () => {
    expect(mapped(401, { 'x-should-retry': 'true' }).retryable).toBe(false);
  });

  it('reports our own timeout as OpenAI being silent', async () => {
    const deadline = new utils.IdleDeadline({ timeoutMs: 5, label: 'OpenAI' });
    await deadline.within(
      new Promise((resolve) => deadline.signal.addEventListener('abort', resolve)),
    );
    const error = toAPIError(new Error('aborted'), deadline);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect(error.message).toBe('OpenAI sent nothing for 5 ms');
  });
});
