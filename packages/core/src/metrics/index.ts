export type {
  AgentMetrics,
  ConnectionMetrics,
  LLMMetrics,
  ModelEvents,
  STTMetrics,
  TTSMetrics,
  VADMetrics,
} from './base.js';
export { UsageCollector, type UsageSummary } from './usage.js';
