import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tool, toolSchemas } from '../src/llm/index.js';

const execute = () => 'ok';

describe('tool schemas', () => {
  it('describes a rich zod schema with standard JSON Schema types only', () => {
    const fncCtx = {
      bookTable: tool({
        description: 'Books a table at a restaurant',
        parameters: z.object({
          restaurant: z.string().describe('Name of the restaurant'),
          guests: z.int().min(1).max(20),
          budget: z.number().optional().describe('Per person, in euros'),
          seating: z.enum(['indoor', 'outdoor']),
          dishes: z.array(z.string()).describe('Dishes to pre-order'),
          contact: z.object({
            name: z.string(),
            phone: z.string().nullable(),
          }),
          vegetarian: z.boolean().default(false),
        }),
        execute,
      }),
    };

    expect(toolSchemas(fncCtx)).toEqual([
      {
        name: 'bookTable',
        description: 'Books a table at a restaurant',
        parameters: {
          type: 'object',
          properties: {
            restaurant: { type: 'string', description: 'Name of the restaurant' },
            guests: { type: 'integer', minimum: 1, maximum: 20 },
            budget: { type: 'number', description: 'Per person, in euros' },
            seating: { type: 'string', enum: ['indoor', 'outdoor'] },
            dishes: {
              type: 'array',
              items: { type: 'string' },
              description: 'Dishes to pre-order',
            },
            contact: {
              type: 'object',
              properties: { name: { type: 'string' }, phone: { type: ['string', 'null'] } },
              required: ['name', 'phone'],
            },
            // The model writes the input, so a field with a default is optional.
            vegetarian: { type: 'boolean', default: false },
          },
          required: ['restaurant', 'guests', 'seating', 'dishes', 'contact'],
        },
      },
    ]);
  });

  it('drops what providers reject and the implicit safe-integer bounds', () => {
    const fnc = tool({
      description: 'counts',
      parameters: z.object({ count: z.int() }),
      execute,
    });

    expect(fnc.jsonSchema).not.toHaveProperty('$schema');
    expect(fnc.jsonSchema.properties).toEqual({ count: { type: 'integer' } });
    expect(JSON.stringify(fnc.jsonSchema)).not.toContain('~standard');
  });

  it('names a tool by its key, or by its explicit name', () => {
    const fncCtx = {
      getTime: tool({ description: 'time', execute }),
      weather: tool({ name: 'get_weather', description: 'weather', execute }),
    };

    expect(toolSchemas(fncCtx).map((s) => s.name)).toEqual(['getTime', 'get_weather']);
    expect(toolSchemas(fncCtx)[0]?.parameters).toEqual({ type: 'object', properties: {} });
  });

  it('rejects names providers refuse and duplicate names', () => {
    expect(() => tool({ name: 'get weather', description: '', execute })).toThrow(
      /tool name "get weather" is not valid/,
    );
    expect(() => toolSchemas({ 'bad.name': tool({ description: '', execute }) })).toThrow(
      /not valid/,
    );
    const twice = {
      a: tool({ name: 'same', description: '', execute }),
      b: tool({ name: 'same', description: '', execute }),
    };
    expect(() => toolSchemas(twice)).toThrow(/two tools are named "same"/);
  });

  it('fails at creation, naming the tool and each parameter JSON cannot carry', () => {
    const create = () =>
      tool({
        name: 'schedule',
        description: 'Schedules a meeting',
        parameters: z.object({
          title: z.string(),
          when: z.date(),
          attendees: z.array(z.object({ id: z.bigint() })),
          onDone: z.function(),
        }),
        execute,
      });

    expect(create).toThrow(TypeError);
    expect(create).toThrow(/^tool "schedule": parameters the model cannot send as JSON:/);
    expect(create).toThrow(/- when: Date cannot be represented/);
    expect(create).toThrow(/- attendees\[\]\.id: BigInt cannot be represented/);
    expect(create).toThrow(/- onDone: Function types cannot be represented/);
  });

  it('names an unnamed tool by its description in that error', () => {
    expect(() =>
      tool({ description: 'Adds a reminder', parameters: z.object({ at: z.date() }), execute }),
    ).toThrow(/^tool "Adds a reminder": .*\n {2}- at: Date/);
  });

  it('describes a transform by what the model sends', () => {
    const fnc = tool({
      name: 'wait',
      description: 'waits',
      parameters: z.object({ seconds: z.string().transform(Number) }),
      execute,
    });

    expect(fnc.jsonSchema.properties).toEqual({ seconds: { type: 'string' } });
  });

  it('requires an object schema', () => {
    const notAnObject = z.string() as unknown as z.ZodObject;
    expect(() => tool({ name: 'x', description: '', parameters: notAnObject, execute })).toThrow(
      /tool "x": parameters must be a z.object/,
    );
  });
});
