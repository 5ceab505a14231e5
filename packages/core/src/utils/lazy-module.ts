import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * A loader that imports `specifier` synchronously on its first call, for dependencies that
 * a large part of the users never reach (the worker's wire protocol in a job process, zod
 * for an agent without tools) and that would otherwise lengthen every `import '@agents/core'`.
 *
 * It requires the package's ES module entry (require() of ESM, Node >= 20.19), so the
 * instance is the one `import` gives the user, not the separate CommonJS copy that
 * `require(specifier)` would load from a dual package.
 */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    if (loaded === undefined) {
      // A test runner without import.meta.resolve gets the package name, which still works.
      const entry =
        typeof import.meta.resolve === 'function'
          ? fileURLToPath(import.meta.resolve(specifier))
          : specifier;
      loaded = require(entry) as T;
    }
    return loaded;
  };
}
