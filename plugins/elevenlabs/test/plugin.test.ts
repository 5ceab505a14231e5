import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { plugin } from '@agents/core';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import '../src/index.js';

const run = promisify(execFile);

describe('@agents/plugin-elevenlabs', () => {
  it('registers itself when imported, with nothing to download', async () => {
    const registered = plugin.Plugin.registeredPlugins.find(
      (p) => p.package === '@agents/plugin-elevenlabs',
    );
    expect(registered).toMatchObject({ title: 'ElevenLabs', version: packageJson.version });
    await expect(registered!.downloadFiles()).resolves.toBeUndefined();
  });

  it('works with require() and import() of the build, as one module instance', async () => {
    const script = fileURLToPath(new URL('./fixtures/require-check.cjs', import.meta.url));
    const { stdout } = await run(process.execPath, [script], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      timeout: 15_000,
    });
    const result = JSON.parse(stdout);
    expect(result.sameModule).toBe(true);
    expect(result.registered).toEqual(['@agents/plugin-elevenlabs']);
    expect(result.exports).toEqual(['DEFAULT_VOICE_ID', 'TTS', 'TTS_ENCODINGS']);
  });
});
