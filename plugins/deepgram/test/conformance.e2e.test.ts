import { deepgramService, describeSTTConformance } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { STT } from '../src/index.js';

// The check that forks (node -e, import and require of the built package).
describeSTTConformance({
  name: 'deepgram.STT',
  packageName: '@agents/plugin-deepgram',
  only: ['registration'],
  service: () => deepgramService(),
  create: (service) => new STT({ apiKey: 'unused', baseURL: service.url }),
  test: { describe, it },
});
