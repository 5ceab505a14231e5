/**
 * The plugin conformance kit: suites of checks that any STT, TTS, LLM or VAD
 * plugin runs against its service (a stand-in or the real one) to prove it
 * keeps the promises of @agents/core's interfaces. See types.ts for the options.
 */
export {
  FIXTURE_REGIONS,
  FIXTURE_UTTERANCES,
  fixtureFrames,
  fixtureSeconds,
  fixtureSpeech,
  longSpeech,
  longSpeechLoops,
} from './audio.js';
export { registrationCheck } from './common.js';
export { type ElevenLabsServiceControl, elevenlabsService } from './elevenlabs-service.js';
export { assertAPIError, type ExpectedAPIError, rejection } from './errors.js';
export { describeLLMConformance, llmChecks } from './llm.js';
export { LLM_AFTER_TOOL, LLM_LONG_TEXT, LLM_TEXT, LLM_TOOL_CALL } from './llm-read.js';
export { MemorySampler, memoryInUseMB } from './memory.js';
export { assertRegistersOnePlugin } from './registration.js';
export { activeResources, LeakCheck, type ListenerSource } from './resources.js';
export {
  type CheckSession,
  describeConformance,
  resolveTestAPI,
  runCheck,
  SkipCheck,
  type SuiteOptions,
  skipCheck,
  withSession,
} from './runner.js';
export {
  deepgramService,
  openaiService,
  type StandInControl,
  scriptTranscripts,
} from './services.js';
export {
  assertSTTMetrics,
  describeSTTConformance,
  LONG_STREAM_GROWTH_MB,
  LONG_STREAM_MINUTES,
  sttChecks,
} from './stt.js';
export { assertEventOrder, drive, type StreamRun, words } from './stt-stream.js';
export { eventually, PROMPT_MS, returnsPromptly } from './timing.js';
export { describeTTSConformance, ttsChecks } from './tts.js';
export { TTS_LONG_TEXT, TTS_SPOKEN, TTS_TEXTS } from './tts-read.js';
export type {
  CommonConformanceOptions,
  ConformanceCheck,
  ConformanceTestAPI,
  LLMConformanceOptions,
  ServiceControl,
  STTConformanceOptions,
  TTSConformanceOptions,
  VADConformanceOptions,
} from './types.js';
export {
  assertSpeechEvents,
  describeVADConformance,
  driveVAD,
  VAD_LONG_STREAM_GROWTH_MB,
  vadChecks,
} from './vad.js';
