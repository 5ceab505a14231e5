import type { AgentMetrics } from './base.js';

/** Totals over many metrics events, e.g. for a job's cost report. */
export interface UsageSummary {
  llmPromptTokens: number;
  llmCompletionTokens: number;
  ttsCharacters: number;
  sttAudioDurationMs: number;
}

/** Adds up usage from `metrics_collected` events: `stt.on('metrics_collected', m => usage.collect(m))`. */
export class UsageCollector {
  readonly #summary: UsageSummary = {
    llmPromptTokens: 0,
    llmCompletionTokens: 0,
    ttsCharacters: 0,
    sttAudioDurationMs: 0,
  };

  collect(metrics: AgentMetrics): void {
    switch (metrics.type) {
      case 'llm':
        this.#summary.llmPromptTokens += metrics.promptTokens;
        this.#summary.llmCompletionTokens += metrics.completionTokens;
        break;
      case 'tts':
        this.#summary.ttsCharacters += metrics.characters;
        break;
      case 'stt':
        this.#summary.sttAudioDurationMs += metrics.audioDurationMs;
        break;
      case 'vad':
      case 'connection':
        break;
    }
  }

  summary(): UsageSummary {
    return { ...this.#summary };
  }
}
