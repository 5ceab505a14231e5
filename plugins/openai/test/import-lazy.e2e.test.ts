import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { scaledMs } from '@agents/testing';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

// A loader hook in a fresh process sees every module loaded through import: Node's own record.
const SCRIPT = `
  import { register } from 'node:module';
  import { MessageChannel } from 'node:worker_threads';
  const { port1, port2 } = new MessageChannel();
  const loaded = [];
  port1.on('message', (url) => loaded.push(url));
  register('data:text/javascript,' + encodeURIComponent(
    'let port; export function initialize(data) { port = data.port; }' +
    'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }'
  ), { data: { port: port2 }, transferList: [port2] });
  const openai = await import('./dist/index.js');
  new openai.LLM({ apiKey: 'sk-test' });
  new openai.TTS({ apiKey: 'sk-test' });
  // Messages from the hooks thread arrive before this round trip's answer.
  await new Promise((resolve) => setTimeout(resolve, 50));
  port1.close();
  const atImport = loaded.filter((url) => url.includes('/node_modules/openai/'));
  console.log(JSON.stringify({ atImport: atImport.length, total: loaded.length }));
`;

it(
  'importing the plugin and creating models does not load the openai SDK: the first request does',
  async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      cwd: ROOT,
      timeout: scaledMs(90_000),
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      atImport: number;
      total: number;
    };
    expect(result.total).toBeGreaterThan(10);
    expect(result.atImport).toBe(0);
  },
  scaledMs(100_000),
);
