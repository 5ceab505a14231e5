import { registrationCheck } from './common.js';
import { describeConformance } from './runner.js';
import {
  badKeyCheck,
  chunkedAudioCheck,
  chunkedCloseCheck,
  errorChecks,
  longStreamCheck,
  metricsCheck,
  nothingLeftCheck,
} from './tts-checks.js';
import {
  streamBreakCheck,
  streamCloseCheck,
  streamFragmentsCheck,
  streamInterleavedCheck,
  streamReconnectCheck,
  streamSegmentsCheck,
  wordTimingsCheck,
} from './tts-stream-checks.js';
import type { ConformanceCheck, TTSConformanceOptions } from './types.js';

/**
 * Every TTS check, in the order the suite runs them. The `stream-*` checks
 * skip themselves for a TTS without `capabilities.streaming`; `synthesize()`
 * is checked for every TTS.
 */
export const ttsChecks: readonly ConformanceCheck<TTSConformanceOptions>[] = Object.freeze([
  chunkedAudioCheck,
  streamSegmentsCheck,
  streamFragmentsCheck,
  streamInterleavedCheck,
  chunkedCloseCheck,
  streamCloseCheck,
  streamBreakCheck,
  ...errorChecks,
  badKeyCheck,
  streamReconnectCheck,
  metricsCheck,
  wordTimingsCheck,
  longStreamCheck,
  nothingLeftCheck,
  registrationCheck<TTSConformanceOptions>(),
]);

/**
 * Registers the TTS conformance suite: one test per check, each against a
 * fresh service and model.
 *
 *     import { describe, it } from 'vitest';
 *     describeTTSConformance({
 *       name: 'ElevenLabs TTS',
 *       service: () => elevenlabsService(),
 *       create: (service) => new TTS({ apiKey: 'k', baseURL: `${service.url}/v1` }),
 *       test: { describe, it },
 *     });
 */
export function describeTTSConformance(options: TTSConformanceOptions): void {
  describeConformance(`${options.name}: TTS conformance`, ttsChecks, options);
}
