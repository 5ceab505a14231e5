export * from './errors.js';
export * from './log.js';
export * as utils from './utils/index.js';
