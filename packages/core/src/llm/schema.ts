import type { z } from 'zod';
import { errorMessage } from '../utils/deadline.js';
import { loadZod } from './zod.js';

/** A JSON Schema document, as plain JSON data (the shape provider SDKs take). */
export type JSONSchema = { [key: string]: unknown };

/** Keywords that describe the document rather than the data; several providers reject them. */
const DROPPED_KEYS = new Set(['$schema', '$id', '~standard']);

/**
 * The JSON Schema of a tool's parameters, for the model. Throws a TypeError naming
 * the tool and every parameter that JSON cannot carry (dates, bigints, maps,
 * functions...), so a bad tool fails when it is defined, not mid-conversation.
 *
 * The schema describes zod's *input* side, because the model writes the input:
 * a field with a default is optional, and a transform is described by what it
 * accepts (`z.string().transform(Number)` is a string), while `execute` receives
 * the parsed output.
 */
export function parametersSchema(toolLabel: string, parameters: z.ZodType): JSONSchema {
  const problems: string[] = [];
  let schema: JSONSchema;
  try {
    const options: z.core.ToJSONSchemaParams = {
      io: 'input',
      // Collected rather than thrown one at a time, so the error lists them all.
      unrepresentable: ({ path, message }) => {
        problems.push(`${parameterPath(path)}: ${message}`);
        return 'any';
      },
    };
    // The method spares loading zod here; a schema without it (zod/mini) takes the function.
    schema =
      typeof parameters.toJSONSchema === 'function'
        ? parameters.toJSONSchema(options)
        : loadZod().z.toJSONSchema(parameters, options);
  } catch (error) {
    throw new TypeError(
      `${toolLabel}: parameters must be a zod 4 schema that JSON Schema can describe ` +
        `(${errorMessage(error)})`,
      { cause: error },
    );
  }
  if (problems.length > 0) {
    throw new TypeError(
      `${toolLabel}: parameters the model cannot send as JSON:\n` +
        problems.map((problem) => `  - ${problem}`).join('\n') +
        '\nUse JSON types (string, number, integer, boolean, enum, array, object) and ' +
        'convert in execute, e.g. a date as z.iso.datetime().',
    );
  }
  if (schema.type !== 'object') {
    throw new TypeError(
      `${toolLabel}: parameters must be a z.object(...), since models send named arguments`,
    );
  }
  return clean(schema) as JSONSchema;
}

/**
 * A deep copy without the keywords providers reject, and without the bounds zod puts
 * on every integer (±2^53-1): they say nothing a model needs and cost prompt tokens.
 */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (typeof value !== 'object' || value === null) return value;
  const out: JSONSchema = {};
  for (const [key, child] of Object.entries(value)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === 'minimum' && child === Number.MIN_SAFE_INTEGER) continue;
    if (key === 'maximum' && child === Number.MAX_SAFE_INTEGER) continue;
    out[key] = clean(child);
  }
  return out;
}

/** `['properties', 'list', 'items', 'properties', 'when']` → `list[].when`. */
function parameterPath(path: readonly (string | number)[]): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (segment === 'properties' && i + 1 < path.length) {
      out += `${out ? '.' : ''}${String(path[++i])}`;
    } else if (segment === 'items' || segment === 'prefixItems') {
      out += '[]';
    } else if (segment === 'additionalProperties') {
      out += '{}';
    }
  }
  return out || '(parameters)';
}
