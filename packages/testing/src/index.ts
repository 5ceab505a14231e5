export * from './elevenlabs/index.js';
export * from './fakes/index.js';
export { type FileFault, type FileRequest, FileServer } from './file-server.js';
export * from './livekit/index.js';
export * from './openai/index.js';
export { scaledMs, testTimeScale } from './time.js';
