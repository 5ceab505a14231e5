import type { z } from 'zod';
import type { ChatContext } from './chat-context.js';
import { type JSONSchema, parametersSchema } from './schema.js';
import { loadZod } from './zod.js';

/** What a tool's arguments are described with: a zod object, one field per argument. */
export type ToolParameters = z.ZodObject<z.core.$ZodShape, z.core.$ZodObjectConfig>;

/** The second argument of `execute`. */
export interface ToolCallOptions {
  /** Aborts when the call is cancelled (the user interrupted, the turn was dropped). */
  signal: AbortSignal;
  /** The id of the call being answered. */
  toolCallId: string;
  /** The conversation the call came from, when the caller provided it. */
  ctx?: ChatContext;
}

/** A function the model can call. Make one with `tool()`. */
export interface FunctionTool<P extends ToolParameters = ToolParameters, R = unknown> {
  /** An explicit name; without one the tool is named by its key in the tool map. */
  readonly name: string | undefined;
  /** Tells the model what the tool does and when to call it. */
  readonly description: string;
  readonly parameters: P;
  /** The parameters as JSON Schema, built and checked when the tool was created. */
  readonly jsonSchema: JSONSchema;
  /**
   * Runs the call with arguments already validated against `parameters`. A string
   * result goes to the model as is, anything else as JSON; a throw becomes an error
   * result the model sees.
   */
  execute(args: z.output<P>, options: ToolCallOptions): Promise<R> | R;
}

/**
 * The tools offered to the model, by name: `{ getWeather: tool({...}) }`. A tool's
 * explicit `name`, when set, replaces its key.
 */
export type ToolContext = { readonly [key: string]: FunctionTool };

/** A tool as a provider wants it declared, in neutral form. */
export interface ToolSchema {
  name: string;
  description: string;
  /** JSON Schema of an object: one property per argument. */
  parameters: JSONSchema;
}

/** What `tool()` takes. */
export interface ToolDefinition<P extends ToolParameters, R> {
  name?: string;
  description: string;
  /** Omit for a tool without arguments. */
  parameters?: P;
  execute: (args: z.output<P>, options: ToolCallOptions) => Promise<R> | R;
}

// The rule of OpenAI and Anthropic, and within Gemini's: a name valid everywhere.
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Defines a function tool. The parameters' JSON Schema is built here, so a schema
 * the model could not fill in (a date, a bigint...) throws now, naming the tool.
 *
 *     const fncCtx = {
 *       getWeather: tool({
 *         description: 'Current weather in a city',
 *         parameters: z.object({ city: z.string().describe('City name') }),
 *         execute: async ({ city }, { signal }) => fetchWeather(city, signal),
 *       }),
 *     };
 */
export function tool<P extends ToolParameters = z.ZodObject<Record<never, never>>, R = unknown>(
  definition: ToolDefinition<P, R>,
): FunctionTool<P, R> {
  const { name, description, execute } = definition;
  // The key a tool gets in its map is unknown here, so an unnamed tool is named by its description.
  const label =
    name === undefined ? `tool ${JSON.stringify(shorten(description))}` : `tool "${name}"`;
  if (name !== undefined) checkToolName(name);
  if (typeof description !== 'string') {
    throw new TypeError(`${label}: description must be a string`);
  }
  if (typeof execute !== 'function') throw new TypeError(`${label}: execute must be a function`);
  const parameters = definition.parameters ?? (loadZod().z.object({}) as ToolParameters as P);
  return Object.freeze({
    name,
    description,
    parameters,
    jsonSchema: parametersSchema(label, parameters),
    execute,
  });
}

/**
 * The tools of `fncCtx` by the name the model knows them by. Throws on a name a
 * provider would reject and on two tools with one name.
 */
export function resolveTools(fncCtx: ToolContext): Map<string, FunctionTool> {
  const tools = new Map<string, FunctionTool>();
  for (const [key, fnc] of Object.entries(fncCtx)) {
    const name = fnc.name ?? key;
    checkToolName(name);
    if (tools.has(name)) throw new TypeError(`two tools are named "${name}"`);
    tools.set(name, fnc);
  }
  return tools;
}

/** The declarations of the tools in `fncCtx`, ready to map onto a provider's format. */
export function toolSchemas(fncCtx: ToolContext): ToolSchema[] {
  return [...resolveTools(fncCtx)].map(([name, fnc]) => ({
    name,
    description: fnc.description,
    parameters: structuredClone(fnc.jsonSchema),
  }));
}

function shorten(text: unknown): string {
  const value = String(text);
  return value.length > 40 ? `${value.slice(0, 39)}…` : value;
}

function checkToolName(name: string): void {
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
    throw new TypeError(
      `tool name ${JSON.stringify(name)} is not valid: use 1 to 64 letters, digits, _ or -`,
    );
  }
}
