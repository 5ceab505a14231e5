import { assertRegistersOnePlugin } from './registration.js';
import type { ConformanceCheck } from './types.js';

/** The check every suite ends with: import and require of the package each register exactly one plugin, itself. */
export function registrationCheck<
  O extends { packageName?: string; packageDir?: string },
>(): ConformanceCheck<O> {
  return {
    id: 'registration',
    title:
      'import and require of the package each register exactly one plugin (in a fresh process)',
    timeoutMs: 60_000,
    skipIf: (options) => (options.packageName ? undefined : 'no packageName in the options'),
    async run(options) {
      await assertRegistersOnePlugin(options.packageName as string, options.packageDir);
    },
  };
}
