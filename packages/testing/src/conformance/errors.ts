import { AssertionError } from 'node:assert';
import { APIConnectionError, APIStatusError, APITimeoutError } from '@agents/core';

export type ExpectedAPIError =
  | { kind: 'status'; status?: number | readonly number[]; retryable: boolean }
  | { kind: 'connection' | 'timeout'; retryable: boolean };

const CLASSES = {
  status: APIStatusError,
  connection: APIConnectionError,
  timeout: APITimeoutError,
} as const;

const NAMES = {
  status: 'APIStatusError',
  connection: 'APIConnectionError',
  timeout: 'APITimeoutError',
};

/**
 * Asserts that `error` is core's typed error of `expected.kind` with the right
 * `retryable` flag (and status). Matched by class, or by name when the plugin
 * was given a second copy of @agents/core (the message then says so).
 */
export function assertAPIError(error: unknown, expected: ExpectedAPIError, what: string): void {
  const name = NAMES[expected.kind];
  const isKind =
    error instanceof CLASSES[expected.kind] ||
    (error instanceof Error &&
      (error.name === name ||
        (expected.kind === 'connection' && error.name === 'APITimeoutError')));
  if (!isKind) {
    throw new AssertionError({
      message: `${what}: expected an ${name} from @agents/core, got ${describe(error)}`,
      actual: error,
    });
  }
  const typed = error as { retryable?: unknown; status?: unknown };
  if (expected.kind === 'status' && expected.status !== undefined) {
    const allowed = typeof expected.status === 'number' ? [expected.status] : expected.status;
    if (!allowed.includes(typed.status as number)) {
      throw new AssertionError({
        message: `${what}: expected status ${allowed.join(' or ')}, got ${String(typed.status)} (${describe(error)})`,
      });
    }
  }
  if (typed.retryable !== expected.retryable) {
    throw new AssertionError({
      message:
        `${what}: expected retryable=${expected.retryable}, got ${String(typed.retryable)} ` +
        `(${describe(error)}); retry decisions read this flag`,
    });
  }
}

/** Resolves with the rejection of `promise`; an AssertionError if it resolves instead. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new AssertionError({ message: `${what}: expected it to fail, but it succeeded` });
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    return `${error.name}${status === undefined ? '' : ` ${String(status)}`}: ${error.message}`;
  }
  return String(error);
}
