import { fileURLToPath } from 'node:url';
import type { TTSConformanceOptions } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { startToneServer } from '../src/server.js';
import { TTS } from '../src/tts.js';

export const KEY = 'conformance-key';

/** The kit's options for this plugin, shared by the fork-free file and the e2e one. */
export const options: TTSConformanceOptions = {
  name: 'Tone TTS',
  // The registration check imports the built package by this name, from this folder (self-reference).
  packageName: '@acme/agents-plugin-tone',
  packageDir: fileURLToPath(new URL('..', import.meta.url)),
  // A fresh server per check; the kit closes it afterwards, even when the check fails.
  service: () => startToneServer({ apiKey: KEY }),
  create: (service) =>
    new TTS({ apiKey: KEY, baseURL: service.url, connectOptions: { retryIntervalMs: 10 } }),
  createWithBadKey: (service) => new TTS({ apiKey: 'not-the-key', baseURL: service.url }),
  // Our vitest config has no globals.
  test: { describe, it },
};
