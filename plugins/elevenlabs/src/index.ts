import { plugin } from '@agents/core';
import { ElevenLabsPlugin } from './plugin.js';

export {
  DEFAULT_VOICE_ID,
  TTS_ENCODINGS,
  type TTSEncoding,
  type TTSModel,
  type Voice,
  type VoiceSettings,
} from './models.js';
export type { SessionOptions, TTSOptions } from './options.js';
export { TTS } from './tts.js';

plugin.Plugin.registerPlugin(new ElevenLabsPlugin());
