import { APIConnectionError, APIStatusError, APITimeoutError, utils } from '@agents/core';
import * as sdk from '@deepgram/sdk';
import { describe, expect, it } from 'vitest';
import { toAPIError } from '../src/errors.js';

// The plugin no longer imports the SDK at its top, for import time; the classes reach
// toAPIError from the SDK's loader. These are the SDK's real errors, not look-alikes.
describe('toAPIError maps the SDK errors it is handed', () => {
  const deadline = () => new utils.IdleDeadline({ timeoutMs: 60_000, label: 'Deepgram' });

  it('a status the SDK reports (a subclass too) becomes an APIStatusError', () => {
    using d = deadline();
    const headers = new Headers({ 'dg-request-id': 'req-1' });
    // The SDK's generated status errors are subclasses that rename themselves.
    class UnauthorizedError extends sdk.DeepgramError {
      constructor() {
        super({
          message: 'UnauthorizedError',
          statusCode: 401,
          body: { err_code: 'INVALID_AUTH', err_msg: 'bad key' },
          rawResponse: { headers } as never,
        });
        this.name = 'UnauthorizedError';
      }
    }
    const error = new UnauthorizedError();
    const mapped = toAPIError(error, d, sdk);
    expect(mapped).toBeInstanceOf(APIStatusError);
    expect(mapped).toMatchObject({ status: 401, retryable: false, requestId: 'req-1' });
    expect((mapped as Error).message).toMatch(/DEEPGRAM_API_KEY/);
  });

  it("the SDK's timeout becomes an APITimeoutError, a failure without status a connection error", () => {
    using d = deadline();
    expect(toAPIError(new sdk.DeepgramTimeoutError('slow'), d, sdk)).toBeInstanceOf(
      APITimeoutError,
    );
    const unreachable = new sdk.DeepgramError({ message: 'fetch failed' });
    expect(toAPIError(unreachable, d, sdk)).toBeInstanceOf(APIConnectionError);
  });

  it('anything else passes through', () => {
    using d = deadline();
    const other = new TypeError('a bug');
    expect(toAPIError(other, d, sdk)).toBe(other);
  });
});
