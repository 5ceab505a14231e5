import { describeTTSConformance, elevenlabsService } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { TTS } from '../src/index.js';

// Only the check that forks (import and require in fresh processes); the rest run in conformance.test.ts.
describeTTSConformance({
  name: 'ElevenLabs TTS',
  packageName: '@agents/plugin-elevenlabs',
  packageDir: new URL('..', import.meta.url).pathname,
  service: () => elevenlabsService(),
  create: (service) => new TTS({ apiKey: 'k', baseURL: `${service.url}/v1` }),
  only: ['registration'],
  test: { describe, it },
});
