export * as cli from './cli/index.js';
export * from './errors.js';
export * from './log.js';
export * from './plugin/index.js';
export * as utils from './utils/index.js';
