/**
 * Silero VAD for @agents/core: voice activity detection with the Silero v5 model on
 * onnxruntime-node. The model ships in this package, so nothing is downloaded at run time.
 *
 * ```ts
 * import * as silero from '@agents/plugin-silero';
 * const vad = await silero.VAD.load();
 * ```
 */
import { plugin } from '@agents/core';
import { SileroPlugin } from './plugin.js';

export { BUNDLED_MODEL_PATH, BUNDLED_MODEL_SHA256, ModelFileError } from './model.js';
export type { DetectionOptions, ModelSampleRate, VADOptions } from './options.js';
export { SileroPlugin } from './plugin.js';
export { VADStream } from './stream.js';
export { VAD } from './vad.js';

plugin.Plugin.registerPlugin(new SileroPlugin());
