import { scaledMs } from '@agents/testing';
import { describeTTSConformance, elevenlabsService } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { TTS } from '../src/index.js';

const KEY = 'xi-conformance-key';
const connectOptions = { maxRetry: 2, retryIntervalMs: 20, timeoutMs: scaledMs(5000) };

// The registration check forks: it runs in conformance.e2e.test.ts.
describeTTSConformance({
  name: 'ElevenLabs TTS',
  service: () => elevenlabsService({ apiKey: KEY }),
  create: (service) => new TTS({ apiKey: KEY, baseURL: `${service.url}/v1`, connectOptions }),
  createWithBadKey: (service) =>
    new TTS({ apiKey: 'xi-wrong-key', baseURL: `${service.url}/v1`, connectOptions }),
  wordTimings: true,
  skip: { registration: 'forks a process: see conformance.e2e.test.ts' },
  test: { describe, it },
});
