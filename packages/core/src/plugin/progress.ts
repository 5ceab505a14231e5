import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import { log } from '../log.js';

export interface DownloadProgress {
  url: string;
  /** Absolute path the file is being written to. */
  dest: string;
  receivedBytes: number;
  /** From Content-Length; unknown when the server does not say. */
  totalBytes: number | undefined;
  done: boolean;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

/**
 * The progress display `downloadFile` uses when the caller gives none: a bar
 * on a terminal, a log line every quarter (or every 10 MB if the size is
 * unknown) otherwise, so build logs stay readable.
 */
export function defaultProgressReporter(
  isTTY = process.stderr.isTTY === true,
): (progress: DownloadProgress) => void {
  return isTTY ? barReporter() : logLineReporter();
}

function barReporter(): (progress: DownloadProgress) => void {
  // Loaded on first use: only a terminal download needs it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  let bar: CliProgress.SingleBar | undefined;
  return (p) => {
    if (!bar) {
      bar = new cliProgress.SingleBar(
        {
          format: `${p.dest.split(/[\\/]/).pop()} [{bar}] {percentage}% {value}/{total} MB`,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(p.totalBytes ? Number((p.totalBytes / MB).toFixed(1)) : 0, 0);
    }
    bar.update(Number((p.receivedBytes / MB).toFixed(1)));
    if (p.done) bar.stop();
  };
}

function logLineReporter(): (progress: DownloadProgress) => void {
  let nextMark = 0;
  return (p) => {
    const logger = log();
    if (p.done) {
      logger.info({ url: p.url, dest: p.dest, bytes: p.receivedBytes }, 'download finished');
      return;
    }
    const fraction = p.totalBytes ? p.receivedBytes / p.totalBytes : p.receivedBytes / (10 * MB);
    if (fraction < nextMark) return;
    const of = p.totalBytes ? ` of ${mb(p.totalBytes)}` : '';
    logger.info({ url: p.url, dest: p.dest }, `downloading: ${mb(p.receivedBytes)}${of}`);
    nextMark = p.totalBytes ? Math.floor(fraction * 4 + 1) / 4 : Math.floor(fraction) + 1;
  };
}
