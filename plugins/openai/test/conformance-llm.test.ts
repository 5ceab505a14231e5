import { describeLLMConformance } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { LLM } from '../src/index.js';
import { connectOptions, KEY, standInService } from './conformance-service.js';

describeLLMConformance({
  name: 'OpenAI LLM',
  service: () => standInService('chat'),
  create: (service) => new LLM({ apiKey: KEY, baseURL: service.url, connectOptions }),
  createWithBadKey: (service) =>
    new LLM({ apiKey: 'sk-wrong', baseURL: service.url, connectOptions }),
  prepare: (service, replies) => {
    const { standIn } = service as Awaited<ReturnType<typeof standInService>>;
    for (const reply of replies) {
      if ('text' in reply) standIn.scriptChat({ content: reply.text });
      else {
        const { name, arguments: args } = reply.toolCall;
        standIn.scriptChat({ toolCalls: [{ name, arguments: args as Record<string, unknown> }] });
      }
    }
  },
  // The registration check forks: conformance.e2e.test.ts runs it.
  skip: { registration: 'forks a process: see conformance.e2e.test.ts' },
  test: { describe, it },
});
