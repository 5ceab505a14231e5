import type { z } from 'zod';
import { errorMessage } from '../utils/deadline.js';
import type { FunctionCall } from './chat-context.js';
import type { FunctionTool, ToolParameters } from './tool.js';
import { loadZod } from './zod.js';

/** Arguments ready for `execute`, or the reason they are not, worded for the model. */
export type ParsedArguments =
  | { ok: true; args: z.output<ToolParameters> }
  | { ok: false; problem: string };

/**
 * Parses and validates a call's arguments. Never throws: a bad call is an ordinary
 * model mistake, and the model fixes it best when told exactly what was wrong.
 */
export function parseArguments(call: FunctionCall, fnc: FunctionTool): ParsedArguments {
  let raw: unknown;
  try {
    // Some models send nothing at all for a tool without parameters.
    raw = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch (error) {
    const reason = errorMessage(error);
    return { ok: false, problem: `the arguments are not valid JSON (${reason})` };
  }
  const parameters = fnc.parameters;
  const result =
    typeof parameters.safeParse === 'function'
      ? parameters.safeParse(raw)
      : loadZod().z.safeParse(parameters, raw);
  if (result.success) return { ok: true, args: result.data };
  const issues = result.error.issues.map((issue) => `  - ${describeIssue(issue, raw)}`);
  return { ok: false, problem: `the arguments do not match the parameters:\n${issues.join('\n')}` };
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const field = formatPath(issue.path);
  // zod says "expected string, received undefined"; a model understands "missing" better.
  if (
    issue.code === 'invalid_type' &&
    issue.path.length > 0 &&
    valueAt(raw, issue.path) === undefined
  ) {
    return `${field}: required, but missing`;
  }
  return `${field}: ${issue.message}`;
}

/** `['items', 0, 'name']` → `items[0].name`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += `${out ? '.' : ''}${String(key)}`;
  }
  return out || '(arguments)';
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
