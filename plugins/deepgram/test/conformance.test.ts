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
    // Found by the kit: once connected, audio goes to ws.send() with no bound on the
    // socket's bufferedAmount (Connection.roomFor only limits the replay window while
    // down), so audio written faster than the service reads piles up in memory.
    'long-stream': 'known bug: no backpressure on the live socket (issue 13 report)',
  },
  test: { describe, it },
});
