import { createRequire } from 'node:module';
import { plugin } from '@agents/core';

// Read at run time, from src/ or dist/ alike: importing JSON would pull it into the build.
const { name, version } = createRequire(import.meta.url)('../package.json') as {
  name: string;
  version: string;
};

/** Registers the package, so that `agents` tools list it. It has no files to download. */
export class ElevenLabsPlugin extends plugin.Plugin {
  constructor() {
    super({ title: 'ElevenLabs', version, package: name });
  }
}
