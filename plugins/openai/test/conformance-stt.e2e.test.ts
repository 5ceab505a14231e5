import { describeSTTConformance, openaiService } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { STT } from '../src/index.js';

// The check that forks (node -e, import and require of the built package).
describeSTTConformance({
  name: 'openai.STT',
  packageName: '@agents/plugin-openai',
  only: ['registration'],
  service: () => openaiService(),
  create: (service) => new STT({ apiKey: 'unused', baseURL: service.url }),
  test: { describe, it },
});
