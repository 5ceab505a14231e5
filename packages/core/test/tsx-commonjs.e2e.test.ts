// A new user's first project is `npm init -y` (type commonjs) plus `npx tsx agent.ts`.
// tsx then compiles the agent to CommonJS and loads @agents/core's dist through
// its CJS transform, where default imports of CommonJS packages differ from Node's ESM.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scaledMs } from './time.js';

const run = promisify(execFile);
const corePackage = fileURLToPath(new URL('..', import.meta.url));
const tsxCli = join(
  dirname(createRequire(import.meta.url).resolve('tsx/package.json')),
  'dist/cli.mjs',
);
const wav = fileURLToPath(new URL('./fixtures/speech-hello-16khz-mono.wav', import.meta.url));

const AGENT = `
import { readFileSync } from 'node:fs';
import { audio, defineAgent } from '@agents/core';

defineAgent({ entry: async () => {} });
const frame = audio.decodeWav(readFileSync(process.argv[2]!));
const again = audio.decodeWav(audio.encodeWav(frame));
console.log(JSON.stringify({ sampleRate: again.sampleRate, samples: again.samplesPerChannel }));
`;

let app: string;

beforeEach(async () => {
  app = await mkdtemp(join(tmpdir(), 'agents-cjs-app-'));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'commonjs' }));
  await mkdir(join(app, 'node_modules/@agents'), { recursive: true });
  await symlink(corePackage, join(app, 'node_modules/@agents/core'), 'dir');
  await writeFile(join(app, 'agent.ts'), AGENT);
});

afterEach(async () => {
  await rm(app, { recursive: true, force: true });
});

describe('@agents/core under tsx in a CommonJS project', () => {
  it('imports and encodes/decodes WAV (wavefile loads under the CJS transform)', async () => {
    // Only the output is kept from a failure: its stack names files vitest cannot source-map.
    const result = await run(process.execPath, [tsxCli, 'agent.ts', wav], {
      cwd: app,
      env: { ...process.env, LOG_LEVEL: 'silent' },
      timeout: scaledMs(30_000),
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? -1,
        stdout: error.stdout ?? '',
        stderr: (error.stderr ?? '').replaceAll(' at ', ' @ '),
      }),
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      sampleRate: 16000,
    });
  });
});
