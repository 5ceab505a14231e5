import { createRequire } from 'node:module';
import { plugin } from '@agents/core';

// Read at run time, from src/ or dist/ alike: importing the JSON would copy it into the build.
const { name, version } = createRequire(import.meta.url)('../package.json') as {
  name: string;
  version: string;
};

/**
 * The package's entry in the registry, so that `agents download-files` and
 * the worker know it is installed. This plugin has no model files; a plugin
 * that has some overrides `downloadFiles()` (see docs/writing-a-plugin.md).
 */
export class TonePlugin extends plugin.Plugin {
  constructor() {
    super({ title: 'Tone TTS', version, package: name });
  }
}
