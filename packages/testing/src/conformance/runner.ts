import { AssertionError } from 'node:assert';
import { scaledMs } from '../time.js';
import { returnsPromptly } from './timing.js';
import type {
  CommonConformanceOptions,
  ConformanceCheck,
  ConformanceTestAPI,
  ServiceControl,
} from './types.js';

/** Thrown by a check that does not apply to this plugin (a capability it lacks): reported as skipped. */
export class SkipCheck extends Error {
  override name = 'SkipCheck';
}

export function skipCheck(reason: string): never {
  throw new SkipCheck(reason);
}

/** What every suite's options have in common. */
export interface SuiteOptions {
  name: string;
  skip?: Partial<Record<string, string>>;
  only?: readonly string[];
  test?: ConformanceTestAPI;
}

type It = ConformanceTestAPI['it'] & { skip?: (name: string, body: () => void) => void };

/**
 * `options.test`, else vitest's (or jest's, mocha's) globals read now. Our
 * repository runs vitest without globals: there, pass `test: { describe, it }`.
 */
export function resolveTestAPI(test: ConformanceTestAPI | undefined): ConformanceTestAPI {
  if (test) return test;
  const globals = globalThis as { describe?: unknown; it?: unknown };
  if (typeof globals.describe === 'function' && typeof globals.it === 'function') {
    return { describe: globals.describe, it: globals.it } as ConformanceTestAPI;
  }
  throw new TypeError(
    'the conformance suite found no describe/it: pass them, e.g. ' +
      "`import { describe, it } from 'vitest'` and `test: { describe, it }`, " +
      'or enable vitest globals (test.globals: true)',
  );
}

/**
 * Maps `checks` to one `it` each inside a `describe` titled `title`. A check
 * in `options.skip` (or outside `options.only`), or whose `skipIf` gives a
 * reason, is registered as skipped with the reason in its name; a check that
 * throws `SkipCheck` at run time is skipped through the test context when the
 * framework offers one (vitest: `context.skip`), and passes otherwise.
 */
export function describeConformance<O extends SuiteOptions>(
  title: string,
  checks: readonly ConformanceCheck<O>[],
  options: O,
): void {
  const api = resolveTestAPI(options.test);
  const it = api.it as It;
  // A misspelt id would silently run (or skip) the wrong checks: refuse it, naming the ids.
  const ids = new Set(checks.map((check) => check.id));
  const unknown = [...Object.keys(options.skip ?? {}), ...(options.only ?? [])].filter(
    (id) => !ids.has(id),
  );
  if (unknown.length > 0) {
    throw new Error(
      `${title}: no check is named ${unknown.map((id) => `'${id}'`).join(', ')} ` +
        `(in skip or only); the checks are ${[...ids].join(', ')}`,
    );
  }
  api.describe(title, () => {
    for (const check of checks) {
      if (options.only && !options.only.includes(check.id)) continue;
      const reason = options.skip?.[check.id] ?? check.skipIf?.(options);
      const name = `${check.id}: ${check.title}`;
      if (reason !== undefined) {
        if (it.skip) it.skip(`${name} (skipped: ${reason})`, () => {});
        else it(`${name} (skipped: ${reason})`, () => {});
        continue;
      }
      it(
        name,
        async (context?: { skip?: (note?: string) => void }) => {
          try {
            await check.run(options);
          } catch (error) {
            if (!(error instanceof SkipCheck)) throw error;
            context?.skip?.(error.message);
          }
        },
        // Room for the cleanup after a check that ran to its own deadline.
        check.timeoutMs + scaledMs(15_000),
      );
    }
  });
}

/** Runs `check` as the suite would, without a test framework: for the kit's own tests. */
export async function runCheck<O>(check: ConformanceCheck<O>, options: O): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AssertionError({ message: `check ${check.id} ran past its ${check.timeoutMs} ms` }),
        ),
      check.timeoutMs + scaledMs(15_000),
    );
  });
  try {
    await Promise.race([check.run(options), expired]);
  } finally {
    clearTimeout(timer);
  }
}

interface Closable {
  close(): Promise<void>;
}

/** A check's service and models, all closed when the check ends, whatever its outcome. */
export interface CheckSession<Model> {
  readonly service: ServiceControl;
  /** A model pointed at the service (a new one per call). */
  model(): Promise<Model>;
  /** A model with a key the service refuses; skips the check when the plugin gave none. */
  modelWithBadKey(): Promise<Model>;
}

/**
 * Starts a fresh service, runs `body`, then closes every model it made and
 * the service, each within a deadline. The body's failure wins over a cleanup
 * failure; a cleanup failure alone fails the check.
 */
export async function withSession<Model extends Closable>(
  options: CommonConformanceOptions<Model>,
  body: (session: CheckSession<Model>) => Promise<void>,
): Promise<void> {
  const service = await options.service();
  const models: Model[] = [];
  const session: CheckSession<Model> = {
    service,
    async model() {
      const model = await options.create(service);
      models.push(model);
      return model;
    },
    async modelWithBadKey() {
      if (!options.createWithBadKey) skipCheck('no createWithBadKey in the options');
      const model = await options.createWithBadKey(service);
      models.push(model);
      return model;
    },
  };
  let failure: { error: unknown } | undefined;
  try {
    await body(session);
  } catch (error) {
    failure = { error };
  }
  const cleanup: unknown[] = [];
  for (const model of models) {
    await returnsPromptly('model.close()', () => model.close()).catch((e: unknown) =>
      cleanup.push(e),
    );
  }
  await returnsPromptly('closing the service', () => service.close()).catch((e: unknown) =>
    cleanup.push(e),
  );
  if (failure) throw failure.error;
  if (cleanup.length > 0) throw cleanup[0];
}
