import { describe, expect, it } from 'vitest';
import { checkReport } from '../../../scripts/api-report.mjs';

describe('the public API of @agents/plugin-silero', () => {
  it('is the one recorded in api/plugin-silero.api.md', () => {
    const { actual, committed, message } = checkReport('plugins/silero');
    expect(actual, message).toBe(committed);
  });
});
