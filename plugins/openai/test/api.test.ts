import { describe, expect, it } from 'vitest';
import { checkReport } from '../../../scripts/api-report.mjs';

describe('the public API of @agents/plugin-openai', () => {
  it('is the one recorded in api/plugin-openai.api.md', () => {
    const { actual, committed, message } = checkReport('plugins/openai');
    expect(actual, message).toBe(committed);
  });
});
