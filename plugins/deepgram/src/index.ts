import { plugin } from '@agents/core';
import { DeepgramPlugin } from './plugin.js';

export type { STTModel, STTOptions, UpdatableOptions } from './options.js';
export { STT } from './stt.js';

plugin.Plugin.registerPlugin(new DeepgramPlugin());
