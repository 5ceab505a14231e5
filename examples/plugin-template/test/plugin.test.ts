import { plugin } from '@agents/core';
import { expect, it } from 'vitest';
import '../src/index.js';
import pkg from '../package.json' with { type: 'json' };

it('importing the package registers its plugin once, under its package name and version', () => {
  const mine = plugin.Plugin.registeredPlugins.filter((p) => p.package === pkg.name);
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({ title: 'Tone TTS', version: pkg.version });
});
