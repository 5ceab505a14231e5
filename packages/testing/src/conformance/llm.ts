import { registrationCheck } from './common.js';
import {
  badKeyCheck,
  errorChecks,
  metricsCheck,
  nothingLeftCheck,
  stopChecks,
  streamTextCheck,
  toolCallCheck,
} from './llm-checks.js';
import { describeConformance } from './runner.js';
import type { ConformanceCheck, LLMConformanceOptions } from './types.js';

/** Every LLM check, in the order the suite runs them. */
export const llmChecks: readonly ConformanceCheck<LLMConformanceOptions>[] = Object.freeze([
  streamTextCheck,
  toolCallCheck,
  ...stopChecks,
  ...errorChecks,
  badKeyCheck,
  metricsCheck,
  nothingLeftCheck,
  registrationCheck<LLMConformanceOptions>(),
]);

/**
 * Registers the LLM conformance suite: one test per check, each against a
 * fresh service and model. `prepare` scripts the replies a check asks for
 * (text, or one tool call) before it starts.
 *
 *     import { describe, it } from 'vitest';
 *     describeLLMConformance({
 *       name: 'OpenAI LLM',
 *       service: () => openaiService('chat'),
 *       create: (service) => new LLM({ apiKey: 'k', baseURL: service.url }),
 *       prepare: (service, replies) => scriptReplies(service, replies),
 *       test: { describe, it },
 *     });
 */
export function describeLLMConformance(options: LLMConformanceOptions): void {
  describeConformance(`${options.name}: LLM conformance`, llmChecks, options);
}
