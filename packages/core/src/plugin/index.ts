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
