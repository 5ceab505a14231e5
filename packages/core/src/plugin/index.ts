// What a plugin package needs from core: the registry it joins, model-file downloads into the
// cache, and the connection settings and HTTP error helpers its API clients share. Reached as
// `plugin.*` from '@agents/core', apart from the agent-facing API errors at the top level.
export {
  type APIConnectOptions,
  DEFAULT_API_CONNECT_OPTIONS,
  isRetryableStatus,
  parseRetryAfter,
  resolveConnectOptions,
} from '../errors.js';
export {
  type HandshakeRefusal,
  type OpenSocket,
  ReconnectingSocket,
  type ReconnectingSocketOptions,
  type ReconnectingSocketState,
  type SocketRequest,
} from '../utils/reconnecting-socket.js';
export { getCacheDir } from './cache-dir.js';
export {
  type DownloadFileOptions,
  downloadFile,
  FileIntegrityError,
  FileTooLargeError,
  sha256OfFile,
} from './download.js';
export {
  type DownloadFilesOptions,
  Plugin,
  type PluginInfo,
  PluginRegistrationError,
} from './plugin.js';
export { type DownloadProgress, defaultProgressReporter } from './progress.js';
