import { LLM } from '../llm/llm.js';
import { StreamAdapter as STTStreamAdapter } from '../stt/stream-adapter.js';
import { STT } from '../stt/stt.js';
import { hyphenateWord } from '../tokenize/hyphenate.js';
import { StreamAdapter as TTSStreamAdapter } from '../tts/stream-adapter.js';
import { TTS } from '../tts/tts.js';
import { VAD } from '../vad/vad.js';
import type { VoiceAssistantOptions } from './assistant-types.js';

/** The options with every default filled in and the models ready to stream. */
export interface ResolvedOptions
  extends Required<
    Omit<
      VoiceAssistantOptions,
      'chatCtx' | 'tools' | 'beforeLLM' | 'sentenceTokenizer' | 'wordTokenizer'
    >
  > {
  tools: VoiceAssistantOptions['tools'];
  beforeLLM: VoiceAssistantOptions['beforeLLM'];
  toolTimeout: number;
}

/** Extra options beyond the contract's. */
export interface VoiceAssistantExtraOptions {
  /** Seconds a tool call may run before it is cut off with an error result (default 30). */
  toolTimeout?: number;
}

function fail(option: string, problem: string): never {
  throw new TypeError(`VoiceAssistant: ${option} ${problem}`);
}

function seconds(option: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    fail(option, `must be a number of seconds >= 0 (got ${String(v)})`);
  }
  return v;
}

/** Checks the options, naming the one to change, and fills in the defaults. */
export function resolveOptions(
  options: VoiceAssistantOptions & VoiceAssistantExtraOptions,
): ResolvedOptions {
  if (!options || typeof options !== 'object') fail('options', 'must be an object');
  const { vad, llm } = options;
  if (!(vad instanceof VAD)) fail('vad', 'must be a vad.VAD (for example silero.VAD.load())');
  if (!(options.stt instanceof STT)) fail('stt', 'must be an stt.STT');
  if (!(llm instanceof LLM)) fail('llm', 'must be an llm.LLM');
  if (!(options.tts instanceof TTS)) fail('tts', 'must be a tts.TTS');
  const stt = options.stt.capabilities.streaming
    ? options.stt
    : new STTStreamAdapter({ stt: options.stt, vad });
  const tts = options.tts.capabilities.streaming
    ? options.tts
    : new TTSStreamAdapter({ tts: options.tts, sentenceTokenizer: options.sentenceTokenizer });

  const minEndpointingDelay = seconds('minEndpointingDelay', options.minEndpointingDelay, 0.5);
  const maxEndpointingDelay = seconds('maxEndpointingDelay', options.maxEndpointingDelay, 3);
  if (maxEndpointingDelay < minEndpointingDelay) {
    fail(
      'maxEndpointingDelay',
      `(${maxEndpointingDelay}) must be >= minEndpointingDelay (${minEndpointingDelay})`,
    );
  }
  const interruptMinWords = options.interruptMinWords ?? 0;
  if (!Number.isInteger(interruptMinWords) || interruptMinWords < 0) {
    fail('interruptMinWords', `must be an integer >= 0 (got ${String(interruptMinWords)})`);
  }
  const maxToolSteps = options.maxToolSteps ?? 3;
  if (!Number.isInteger(maxToolSteps) || maxToolSteps < 1) {
    fail('maxToolSteps', `must be an integer >= 1 (got ${String(maxToolSteps)})`);
  }
  const baseVolume = options.baseVolume ?? 1;
  if (typeof baseVolume !== 'number' || !(baseVolume >= 0 && baseVolume <= 1)) {
    fail('baseVolume', `must be between 0 and 1 (got ${String(baseVolume)})`);
  }
  const transcriptionSpeed = options.transcriptionSpeed ?? 3.83;
  if (typeof transcriptionSpeed !== 'number' || !(transcriptionSpeed > 0)) {
    fail(
      'transcriptionSpeed',
      `must be a positive number of syllables/s (got ${transcriptionSpeed})`,
    );
  }
  const toolTimeout = seconds('toolTimeout', options.toolTimeout, 30);
  if (toolTimeout === 0) fail('toolTimeout', 'must be more than 0 seconds');
  if (
    options.tools !== undefined &&
    (typeof options.tools !== 'object' || options.tools === null)
  ) {
    fail('tools', 'must be an object of tools made with llm.tool()');
  }
  if (options.beforeLLM !== undefined && typeof options.beforeLLM !== 'function') {
    fail('beforeLLM', 'must be a function');
  }
  return {
    vad,
    stt,
    llm,
    tts,
    tools: options.tools,
    beforeLLM: options.beforeLLM,
    allowInterruptions: options.allowInterruptions ?? true,
    interruptSpeechDuration: seconds(
      'interruptSpeechDuration',
      options.interruptSpeechDuration,
      0.5,
    ),
    interruptMinWords,
    minEndpointingDelay,
    maxEndpointingDelay,
    falseInterruptionTimeout: seconds(
      'falseInterruptionTimeout',
      options.falseInterruptionTimeout,
      2,
    ),
    preemptiveSynthesis: options.preemptiveSynthesis ?? true,
    transcription: options.transcription ?? true,
    hyphenateWord: options.hyphenateWord ?? hyphenateWord,
    transcriptionSpeed,
    baseVolume,
    maxToolSteps,
    toolTimeout,
  };
}
