import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scaledMs } from './time.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));

// A loader hook in a fresh node process records every module it loads through import;
// the script prints them after `body` ran. Node's loader, not a guess from the outside.
async function modulesLoadedBy(body: string): Promise<string[]> {
  const script = `
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const loaded = [];
    port1.on('message', (url) => loaded.push(url));
    register('data:text/javascript,' + encodeURIComponent(
      'let port; export function initialize(data) { port = data.port; }' +
      'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }'
    ), { data: { port: port2 }, transferList: [port2] });
    ${body}
    // Messages from the hooks thread arrive before this round trip's answer.
    await new Promise((resolve) => setTimeout(resolve, 50));
    port1.close();
    console.log(JSON.stringify(loaded));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: HERE,
    timeout: scaledMs(30_000),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

const packageOf = (url: string) =>
  /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(url)?.[1];

describe('importing @agents/core leaves out what a job does not use at start', () => {
  it(
    'does not load zod, the agent protocol or the CLI',
    async () => {
      const loaded = await modulesLoadedBy("await import('@agents/core');");
      const packages = new Set(loaded.map(packageOf));
      expect(loaded.some((url) => url.includes('/dist/index.js'))).toBe(true);
      expect(packages).not.toContain('zod');
      expect(packages).not.toContain('@livekit/protocol');
      expect(packages).not.toContain('commander');
      expect(loaded.filter((url) => url.includes('/dist/cli/app.js'))).toEqual([]);
    },
    scaledMs(60_000),
  );

  it(
    'a tool without parameters still gets a zod object, from the instance users import',
    async () => {
      const script = `
      const { llm } = await import('@agents/core');
      const noArgs = llm.tool({ description: 'the time', execute: () => 'noon' });
      const { z } = await import('zod');
      console.log(JSON.stringify({
        sameInstance: Object.getPrototypeOf(noArgs.parameters) === Object.getPrototypeOf(z.object({})),
        schema: noArgs.jsonSchema,
      }));
    `;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        cwd: HERE,
        timeout: scaledMs(30_000),
      });
      expect(JSON.parse(stdout)).toMatchObject({ sameInstance: true, schema: { type: 'object' } });
    },
    scaledMs(60_000),
  );
});
