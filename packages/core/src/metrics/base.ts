/**
 * Metrics every model interface emits, as `metrics_collected` events. One
 * discriminated union, so the pipeline and users can aggregate them with one
 * switch on `type`. Durations are in milliseconds, timestamps in ms since epoch.
 */

interface MetricsBase {
  /** Which implementation produced it, e.g. `openai.LLM` or `silero.VAD`. */
  label: string;
  /** The request (or stream) it belongs to, '' when the provider gives none. */
  requestId: string;
  /** When the measured work ended. */
  timestamp: number;
}

export interface STTMetrics extends MetricsBase {
  type: 'stt';
  /** Time spent on the request: the recognize call, or the stream's life. */
  durationMs: number;
  /** Audio sent to the provider. */
  audioDurationMs: number;
  /**
   * From pushing the last audio of an utterance to receiving its final
   * transcript; undefined when no final was produced.
   */
  latencyToFinalMs: number | undefined;
  streamed: boolean;
}

export interface TTSMetrics extends MetricsBase {
  type: 'tts';
  /** From the request (or the first text of a segment) to the first audio. */
  ttfbMs: number;
  durationMs: number;
  characters: number;
  audioDurationMs: number;
  /** The request ended before all audio arrived. */
  cancelled: boolean;
  streamed: boolean;
}

export interface LLMMetrics extends MetricsBase {
  type: 'llm';
  /** Time to the first token (content or tool call). */
  ttftMs: number;
  durationMs: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  tokensPerSecond: number;
  cancelled: boolean;
}

export interface VADMetrics extends MetricsBase {
  type: 'vad';
  /** Inference time summed over the reporting window. */
  inferenceDurationMs: number;
  inferenceCount: number;
  /** Audio covered by those inferences. */
  audioDurationMs: number;
  /** Inference time divided by audio time: below 1 keeps up with real time. */
  realTimeFactor: number;
}

/**
 * A provider connection (a streaming STT's or TTS's websocket) was lost,
 * came back, or was given up on. One event per change, so a dashboard can
 * count drops and see how long the service was away.
 */
export interface ConnectionMetrics extends MetricsBase {
  type: 'connection';
  /** `lost`: the connection dropped and a retry is scheduled; `reconnected`: it is back; `gave_up`: retries ran out or the failure is permanent. */
  event: 'lost' | 'reconnected' | 'gave_up';
  /** Failures in a row so far (1 on the first drop). */
  attempt: number;
  /** `lost`: the wait before the next attempt. */
  delayMs?: number;
  /** `reconnected`: from the drop to the new connection being open. */
  downtimeMs?: number;
  /** `lost` and `gave_up`: what went wrong. */
  error?: string;
}

export type AgentMetrics = STTMetrics | TTSMetrics | LLMMetrics | VADMetrics | ConnectionMetrics;

/** The events every model interface (STT, TTS, LLM, VAD) emits. */
export interface ModelEvents<M extends AgentMetrics> {
  /** STT and TTS, which may hold a provider connection, also report `connection` metrics. */
  metrics_collected: M;
  /** A failure that was handled (the stream goes on), reported for logs and UIs. */
  error: { error: Error; recoverable: boolean };
}
