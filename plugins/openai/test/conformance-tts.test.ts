import { describeTTSConformance } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { TTS } from '../src/index.js';
import { connectOptions, KEY, standInService } from './conformance-service.js';

// openai.TTS does not stream: the stream-* checks skip themselves; synthesize() is checked.
describeTTSConformance({
  name: 'OpenAI TTS',
  service: () => standInService('speech'),
  create: (service) => new TTS({ apiKey: KEY, baseURL: service.url, connectOptions }),
  createWithBadKey: (service) =>
    new TTS({ apiKey: 'sk-wrong', baseURL: service.url, connectOptions }),
  skip: { registration: 'forks a process: see conformance.e2e.test.ts' },
  test: { describe, it },
});
