import { plugin } from '@agents/core';
import { OpenAIPlugin } from './plugin.js';

export type { ClientOptions } from './client.js';
export { LLM, type LLMOptions } from './llm.js';
export type { ChatModel, STTModel, TTSModel, TTSVoice } from './models.js';
export { STT, type STTOptions } from './stt.js';
export { TTS, type TTSOptions } from './tts.js';

plugin.Plugin.registerPlugin(new OpenAIPlugin());
