import { describe, expect, it } from 'vitest';
import { checkReport } from '../../../scripts/api-report.mjs';

describe('the public API of @agents/plugin-elevenlabs', () => {
  it('is the one recorded in api/plugin-elevenlabs.api.md', () => {
    const { actual, committed, message } = checkReport('plugins/elevenlabs');
    expect(actual, message).toBe(committed);
  });
});
