import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, checkReport } from '../../../scripts/api-report.mjs';

describe('the public API of @agents/core', () => {
  it('is the one recorded in api/core.api.md', () => {
    const { actual, committed, message } = checkReport('packages/core');
    expect(actual, message).toBe(committed);
  });
});

describe('the API report', () => {
  let dir: string;
  const write = async (file: string, text: string) => {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'api-report-'));
    await write(
      'package.json',
      JSON.stringify({ name: '@agents/fixture', exports: { '.': { types: './dist/index.d.ts' } } }),
    );
    await write(
      'dist/index.d.ts',
      [
        "export * as tools from './tools.js';",
        "export type { Logger } from 'pino';",
        '/** Comments are left out. */',
        'export declare function start(options: Hidden): void;',
        'export declare const LIMIT = 3;',
      ].join('\n'),
    );
    await write(
      'dist/tools.d.ts',
      [
        'export declare class Tool {',
        '  #private;',
        '  private secret;',
        '  readonly name: string;',
        '}',
        'export interface Hidden { x: number }',
        'export type Kind = "a" | "b";',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every export through namespaces, with its kind and declaration', () => {
    const { text } = buildReport(dir);
    expect(text).toContain(
      [
        '- `LIMIT`: const',
        '- `Logger`: re-exported from pino',
        '- `start`: function',
        '- `tools`: namespace',
        '  - `tools.Hidden`: interface',
        '  - `tools.Kind`: type',
        '  - `tools.Tool`: class',
      ].join('\n'),
    );
    expect(text).toContain('function start(options: Hidden): void;');
    expect(text).toContain('class Tool {\n    readonly name: string;\n}');
    expect(text).not.toMatch(/#private|secret|Comments are left out/);
  });

  it('names the types the API uses but does not export', async () => {
    await write('dist/extra.d.ts', 'export interface Unnamed { y: string }');
    await write(
      'dist/index.d.ts',
      "import type { Unnamed } from './extra.js';\nexport declare function f(u: Unnamed): void;",
    );
    const { text } = buildReport(dir);
    expect(text).toMatch(/## Referenced but not exported\n\n- `Unnamed` \(dist\/extra.d.ts\)\n/);
  });

  it('is the same text each time it is built', () => {
    expect(buildReport('packages/core').text).toBe(buildReport('packages/core').text);
  });
});
