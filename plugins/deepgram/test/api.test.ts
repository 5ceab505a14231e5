import { describe, expect, it } from 'vitest';
import { checkReport } from '../../../scripts/api-report.mjs';

describe('the public API of @agents/plugin-deepgram', () => {
  it('is the one recorded in api/plugin-deepgram.api.md', () => {
    const { actual, committed, message } = checkReport('plugins/openai');
    expect(actual, message).toBe(committed);
  });
});
