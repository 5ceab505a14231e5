import { plugin } from '@agents/core';
import { TonePlugin } from './plugin.js';

export { TTS, type TTSOptions } from './tts.js';

// Exactly once per package, when it is first imported (with `import` or `require`).
plugin.Plugin.registerPlugin(new TonePlugin());
