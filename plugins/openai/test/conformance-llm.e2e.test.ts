import { describeLLMConformance } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { LLM } from '../src/index.js';
import { KEY, standInService } from './conformance-service.js';

// Only the check that forks: import and require of the package in fresh processes.
describeLLMConformance({
  name: 'OpenAI LLM',
  packageName: '@agents/plugin-openai',
  packageDir: new URL('..', import.meta.url).pathname,
  service: () => standInService('chat'),
  create: (service) => new LLM({ apiKey: KEY, baseURL: service.url }),
  only: ['registration'],
  test: { describe, it },
});
