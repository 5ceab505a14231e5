import { describe, expect, it } from 'vitest';
import { checkReport } from '../../../scripts/api-report.mjs';

describe('the public API of @agents/testing', () => {
  it('is the one recorded in api/testing.api.md', () => {
    const { actual, committed, message } = checkReport('packages/testing');
    expect(actual, message).toBe(committed);
  });
});
