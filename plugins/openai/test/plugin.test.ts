import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { plugin } from '@agents/core';
import { scaledMs } from '@agents/testing';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { LLM, STT, TTS } from '../src/index.js';

const run = promisify(execFile);

// The child Node loads the built package both ways. On a starved machine its start-up alone can take
// tens of seconds, so the deadline only bounds a hang; the test waits a little longer than the child.
const CHILD_DEADLINE_MS = scaledMs(90_000);

describe('@agents/plugin-openai', () => {
  it('registers itself when imported, with nothing to download', async () => {
    const registered = plugin.Plugin.registeredPlugins.find(
      (p) => p.package === '@agents/plugin-openai',
    );
    expect(registered).toMatchObject({ title: 'OpenAI', version: packageJson.version });
    await expect(registered!.downloadFiles()).resolves.toBeUndefined();
  });

  it(
    'works with require() and import() of the build, as one module instance',
    async () => {
      const script = fileURLToPath(new URL('./fixtures/require-check.cjs', import.meta.url));
      const { stdout } = await run(process.execPath, [script], {
        env: { ...process.env, LOG_LEVEL: 'silent' },
        timeout: CHILD_DEADLINE_MS,
      });
      const result = JSON.parse(stdout);
      expect(result.sameModule).toBe(true);
      expect(result.registered).toEqual(['@agents/plugin-openai']);
      expect(result.exports).toEqual(['LLM', 'STT', 'TTS']);
    },
    CHILD_DEADLINE_MS + scaledMs(10_000),
  );

  it.each([
    ['LLM', () => new LLM()],
    ['STT', () => new STT()],
    ['TTS', () => new TTS()],
  ])('%s without a key fails when created, naming OPENAI_API_KEY', (_, create) => {
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      expect(create).toThrow(/OPENAI_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });
});
