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

// The hook above sees only `import`: what a CommonJS package require()s inside itself (rtc-node's
// index.cjs and its native addon, pino's files) never reaches it. So these read Node's CommonJS
// registry and the shared objects dlopen()ed into the process, which see every way of loading.
const NATIVE_AND_COMMONJS = `
  const { createRequire } = await import('node:module');
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  const native = process.report.getReport().sharedObjects.filter((so) => so.endsWith('.node'));
`;
async function commonJsAndNativeLoadedBy(
  body: string,
): Promise<{ cjs: string[]; native: string[] }> {
  // rtc-node's native side keeps a process alive until dispose(), once it has been loaded.
  const script = `${body}\n${NATIVE_AND_COMMONJS}\nconsole.log(JSON.stringify({ cjs, native }));
    if (native.length > 0) await (await import('@livekit/rtc-node')).dispose();`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: HERE,
    timeout: scaledMs(30_000),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    cjs: string[];
    native: string[];
  };
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
    'does not load rtc-node (nor its native addon), pino or wavefile',
    async () => {
      const { cjs, native } = await commonJsAndNativeLoadedBy("await import('@agents/core');");
      const packages = new Set(cjs.map(packageOf));
      expect(packages).not.toContain('@livekit/rtc-node');
      expect(packages).not.toContain('@livekit/rtc-ffi-bindings');
      expect(packages).not.toContain('pino');
      expect(packages).not.toContain('wavefile');
      expect(native).toEqual([]);
    },
    scaledMs(60_000),
  );

  it(
    'the first frame, resampler and log line load them, and frames are the instance users import',
    async () => {
      const script = `
      const { audio, log } = await import('@agents/core');
      const frame = audio.createSilentFrame(48000, 1, 0.02);
      const [resampled] = audio.resampleFrames(frame, 16000);
      const wav = audio.decodeWav(audio.encodeWav(resampled));
      log().debug('first line');
      const { AudioFrame, dispose } = await import('@livekit/rtc-node');
      console.log(JSON.stringify({
        frames: [frame, resampled, wav].map((f) => f instanceof AudioFrame),
        rates: [frame.sampleRate, resampled.sampleRate, wav.sampleRate],
      }));
      await dispose();
    `;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        cwd: HERE,
        timeout: scaledMs(30_000),
      });
      const lastLine = stdout.trim().split('\n').at(-1) ?? '{}';
      expect(JSON.parse(lastLine)).toEqual({
        frames: [true, true, true],
        rates: [48000, 16000, 16000],
      });
      const after = await commonJsAndNativeLoadedBy(
        "const { audio, log } = await import('@agents/core'); audio.createSilentFrame(16000, 1, 0.01); log();",
      );
      const packages = new Set(after.cjs.map(packageOf));
      expect(packages).toContain('@livekit/rtc-node');
      expect(packages).toContain('pino');
      expect(after.native.some((so) => so.includes('rtc-node'))).toBe(true);
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
