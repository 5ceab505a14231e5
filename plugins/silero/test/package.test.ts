import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { plugin } from '@agents/core';
import { scaledMs } from '@agents/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLED_MODEL_PATH,
  BUNDLED_MODEL_SHA256,
  ModelFileError,
  SileroPlugin,
  VAD,
} from '../src/index.js';
import { readBundledModel } from '../src/model.js';

const run = promisify(execFile);
// The child Node loads the built package both ways. On a starved machine its start-up alone can take
// tens of seconds, so the deadline only bounds a hang; the test waits a little longer than the child.
const CHILD_DEADLINE_MS = scaledMs(90_000);
const packageJson = createRequire(import.meta.url)('../package.json') as {
  name: string;
  version: string;
};

describe('the model file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'silero-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ships in the package, and downloadFiles() verifies it', async () => {
    expect(await plugin.sha256OfFile(BUNDLED_MODEL_PATH)).toBe(BUNDLED_MODEL_SHA256);
    const registered = plugin.Plugin.registeredPlugins.find((p) => p.package === packageJson.name);
    expect(registered).toBeInstanceOf(SileroPlugin);
    expect(registered).toMatchObject({ title: 'Silero VAD', version: packageJson.version });
    await expect(registered!.downloadFiles()).resolves.toBeUndefined();
  });

  it('says so when the model is missing', async () => {
    const error = await readBundledModel(join(dir, 'nothing.onnx')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toMatch(/model is missing from .*Reinstall the package/);
  });

  it('says so when the model is damaged, e.g. a Git LFS pointer', async () => {
    const pointer = join(dir, 'pointer.onnx');
    await writeFile(pointer, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\n');
    await expect(readBundledModel(pointer)).rejects.toThrow(
      /damaged: 58 bytes with sha256 \w{64}, expected 2327524 bytes.*Git LFS pointer/,
    );
  });

  it('says so when modelPath is missing or not a model', async () => {
    await expect(VAD.load({ modelPath: join(dir, 'none.onnx') })).rejects.toThrow(
      /no Silero model at modelPath/,
    );
    const garbage = join(dir, 'garbage.onnx');
    await writeFile(garbage, 'not a model');
    await expect(VAD.load({ modelPath: garbage })).rejects.toThrow(/onnxruntime could not load/);
  });

  it('loads another compatible file through modelPath', async () => {
    const vad = await VAD.load({ modelPath: BUNDLED_MODEL_PATH, sampleRate: 8000 });
    expect(vad.sampleRate).toBe(8000);
    expect(vad.capabilities.updateInterval).toBe(0.032);
    await vad.close();
  });

  it('rejects invalid options before loading the model', async () => {
    await expect(VAD.load({ minSilenceDuration: -1 })).rejects.toThrow(RangeError);
    await expect(VAD.load({ sampleRate: 44100 as never })).rejects.toThrow(/16000 or 8000/);
  });
});

describe('the built package', () => {
  it(
    'works with require() and import(), registering the plugin once',
    async () => {
      const script = fileURLToPath(new URL('./fixtures/require-check.cjs', import.meta.url));
      const { stdout } = await run(process.execPath, [script], {
        env: { ...process.env, LOG_LEVEL: 'silent' },
        timeout: CHILD_DEADLINE_MS,
      });
      const result = JSON.parse(stdout);
      expect(result.sameModule).toBe(true);
      expect(result.registered).toEqual([packageJson.name]);
      expect(result.exports).toEqual(
        expect.arrayContaining(['VAD', 'VADStream', 'ModelFileError']),
      );
      // 0.5 s of 48 kHz stereo: 15 whole windows of 32 ms.
      expect(result.inferences).toBe(15);
    },
    CHILD_DEADLINE_MS + scaledMs(10_000),
  );
});
