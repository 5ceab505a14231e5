// The suite runner refuses check ids it does not know in `skip` and `only`:
// a misspelt id would otherwise run, or skip, the wrong checks in silence.
import { describe, expect, it } from 'vitest';
import { type ConformanceCheck, describeConformance } from '../../src/conformance/index.js';

const checks: ConformanceCheck<object>[] = ['recognize', 'registration'].map((id) => ({
  id,
  title: id,
  timeoutMs: 1000,
  run: async () => {},
}));

function declared(options: { skip?: Record<string, string>; only?: string[] }): string[] {
  const names: string[] = [];
  const test = {
    describe: (_name: string, body: () => void) => body(),
    it: (name: string) => void names.push(name),
  };
  describeConformance('toy STT', checks, { ...options, test } as never);
  return names;
}

describe('describeConformance', () => {
  it('declares one test per check, and skips by id', () => {
    expect(declared({})).toHaveLength(2);
    expect(declared({ only: ['recognize'] })).toHaveLength(1);
  });

  it('refuses an unknown id in skip or only, naming the real ones', () => {
    expect(() => declared({ skip: { registraton: 'forks' } })).toThrow(
      /no check is named 'registraton' .*the checks are recognize, registration/,
    );
    expect(() => declared({ only: ['recognise'] })).toThrow(/'recognise'/);
  });
});
