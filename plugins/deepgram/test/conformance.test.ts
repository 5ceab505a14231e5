import {
  deepgramService,
  describeSTTConformance,
  type StandInControl,
  scriptTranscripts,
} from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { STT } from '../src/index.js';

// Fast retries: the checks make the service fail on purpose.
const connectOptions = { maxRetry: 3, retryIntervalMs: 20, timeoutMs: 5000 };
const key = (service: unknown) => (service as StandInControl<unknown>).apiKey;

describeSTTConformance({
  name: 'deepgram.STT',
  service: () => deepgramService(),
  create: (service) => new STT({ apiKey: key(service), baseURL: service.url, connectOptions }),
  createWithBadKey: (service) =>
    new STT({ apiKey: 'wrong-key', baseURL: service.url, connectOptions }),
  prepare: scriptTranscripts,
  skip: {
    registration: 'forks: in conformance.e2e.test.ts',
  },
  test: { describe, it },
});
