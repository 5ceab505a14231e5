import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import {
  APIConnectionError,
  type APIConnectOptions,
  APIError,
  APIStatusError,
  APITimeoutError,
  parseRetryAfter,
  resolveConnectOptions,
} from '../errors.js';
import { log, redactUrl } from '../log.js';
import { withRetry } from '../utils/retry.js';
import { getCacheDir } from './cache-dir.js';
import { type DownloadProgress, defaultProgressReporter } from './progress.js';

export interface DownloadFileOptions {
  url: string | URL;
  /** Where to put the file: a path relative to the cache directory, or an absolute one inside it. */
  dest: string;
  /** Expected SHA-256 of the file, hex. Nothing unverified is ever left at `dest`. */
  sha256: string;
  signal?: AbortSignal;
  /** Default: a progress bar on a terminal, log lines otherwise. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * Retries of transient failures, and `timeoutMs`: how long the server may
   * send nothing (before the headers or between chunks) before the attempt
   * counts as failed. Defaults: 3 retries, 2 s backoff, 30 s.
   */
  connectOptions?: Partial<APIConnectOptions>;
  /** Default: `getCacheDir()` (`AGENTS_CACHE_DIR` or the user's cache directory). */
  cacheDir?: string;
  /**
   * The most bytes the file may have; pass its exact size when you know it.
   * A larger Content-Length, or a body that grows past it, stops the download
   * at once with a `FileTooLargeError` (instead of writing whatever a broken
   * or hostile server sends and only then failing the sha256 check).
   * Default: no limit.
   */
  maxBytes?: number;
}

/** The downloaded bytes are not the expected file. Not retried: the same bytes would come again. */
export class FileIntegrityError extends Error {
  override name = 'FileIntegrityError';
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(message);
  }
}

/** The server sent, or announced, more bytes than `maxBytes`. Not retried. */
export class FileTooLargeError extends Error {
  override name = 'FileTooLargeError';
  constructor(
    message: string,
    readonly maxBytes: number,
    /** The Content-Length announced, or the bytes received when the limit was passed. */
    readonly bytes: number,
  ) {
    super(message);
  }
}

/**
 * Downloads `url` into the cache directory and returns the file's absolute
 * path. The bytes go to a temporary file that is renamed into place only once
 * its SHA-256 matches, so concurrent downloads of the same file (in one
 * process or several) cannot corrupt it. A file already present with the
 * right hash is returned without touching the network.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<string> {
  const url = parseDownloadUrl(options.url);
  const expected = parseSha256(options.sha256);
  const maxBytes = parseMaxBytes(options.maxBytes);
  const connect = resolveConnectOptions({ timeoutMs: 30_000, ...options.connectOptions });
  const target = await resolveInsideCache(options.cacheDir ?? getCacheDir(), options.dest);
  const logger = log().child({ url: redactUrl(url), dest: target });

  const present = await sha256OfFile(target);
  if (present === expected) {
    logger.debug('file already present and verified');
    return target;
  }
  if (present !== undefined) logger.warn('file present but its sha256 differs; downloading again');

  const report = options.onProgress ?? defaultProgressReporter();
  const temp = `${target}.${process.pid}-${randomBytes(6).toString('hex')}.part`;
  try {
    await withRetry(
      async () => {
        await rm(temp, { force: true });
        const received = await fetchToFile(url, temp, expected, connect.timeoutMs, {
          signal: options.signal,
          maxBytes,
          onBytes: (receivedBytes, totalBytes) =>
            report({ url: url.href, dest: target, receivedBytes, totalBytes, done: false }),
        });
        await rename(temp, target);
        report({
          url: url.href,
          dest: target,
          receivedBytes: received,
          totalBytes: received,
          done: true,
        });
      },
      {
        maxRetry: connect.maxRetry,
        retryIntervalMs: connect.retryIntervalMs,
        signal: options.signal,
        onRetry: ({ attempt, delayMs, error }) =>
          logger.warn(
            { attempt, delayMs: Math.round(delayMs), err: error },
            'download failed; retrying',
          ),
      },
    );
  } finally {
    await rm(temp, { force: true });
  }
  return target;
}

/** SHA-256 of a file as hex, or undefined if there is no such file. */
export async function sha256OfFile(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return hash.digest('hex');
}

interface FetchHooks {
  signal: AbortSignal | undefined;
  maxBytes: number;
  onBytes: (received: number, total: number | undefined) => void;
}

/** One attempt: streams the body into `temp` while hashing it; returns the byte count. */
async function fetchToFile(
  url: URL,
  temp: string,
  expected: string,
  stallTimeoutMs: number,
  { signal, maxBytes, onBytes }: FetchHooks,
): Promise<number> {
  const attempt = new AbortController();
  const stop = () => attempt.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  const stalled = new APITimeoutError(
    `download of ${redactUrl(url)} stalled: no data for ${stallTimeoutMs} ms`,
  );
  const timer = setTimeout(() => attempt.abort(stalled), stallTimeoutMs);

  try {
    const response = await fetch(url, { signal: attempt.signal, redirect: 'follow' });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new APIStatusError(
        `download of ${redactUrl(url)} failed: HTTP ${response.status} ${response.statusText}`,
        {
          status: response.status,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
        },
      );
    }
    // With a content-encoding the header counts compressed bytes, not the file's.
    const length = Number(response.headers.get('content-length'));
    const total =
      response.headers.get('content-encoding') || !Number.isFinite(length) || length <= 0
        ? undefined
        : length;
    const tooLarge = (bytes: number, what: string) =>
      new FileTooLargeError(
        `download of ${redactUrl(url)} refused: the server ${what} ${bytes} bytes, more than ` +
          `the ${maxBytes} expected (the server sent a different file, or the plugin needs an update)`,
        maxBytes,
        bytes,
      );
    if (total !== undefined && total > maxBytes) {
      await response.body.cancel();
      throw tooLarge(total, 'announced');
    }

    const hash = createHash('sha256');
    let received = 0;
    await pipeline(
      Readable.fromWeb(response.body as ReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          timer.refresh();
          hash.update(chunk);
          received += chunk.length;
          if (received > maxBytes) throw tooLarge(received, 'sent at least');
          onBytes(received, total);
          yield chunk;
        }
      },
      createWriteStream(temp, { flags: 'wx' }),
    );
    if (total !== undefined && received !== total) {
      throw new APIConnectionError(
        `download of ${redactUrl(url)} ended after ${received} of ${total} bytes`,
      );
    }
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new FileIntegrityError(
        `sha256 of ${redactUrl(url)} is ${actual}, expected ${expected}: the server sent a ` +
          'different file than the one expected (the plugin may need an update)',
        expected,
        actual,
      );
    }
    return received;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (attempt.signal.reason === stalled) throw stalled;
    if (
      error instanceof APIError ||
      error instanceof FileIntegrityError ||
      error instanceof FileTooLargeError
    ) {
      throw error;
    }
    const reason = error instanceof Error ? describeNetworkError(error) : String(error);
    throw new APIConnectionError(`download of ${redactUrl(url)} failed: ${reason}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
  }
}

/**
 * fetch() says only "fetch failed" or "terminated"; the useful part
 * (ECONNREFUSED, "other side closed") is at the end of the cause chain.
 */
function describeNetworkError(error: Error): string {
  let root: unknown = error;
  while (root instanceof Error && root.cause !== undefined) root = root.cause;
  if (root === error) return error.message;
  const code = (root as { code?: string }).code;
  const detail = root instanceof Error ? root.message : String(root);
  return `${error.message} (${code && !detail.includes(code) ? `${code}: ` : ''}${detail})`;
}

function parseDownloadUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`download url "${String(value)}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`download url must be http(s), got ${url.protocol}`);
  }
  return url;
}

function parseMaxBytes(value: number | undefined): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`maxBytes must be a positive whole number of bytes (got ${String(value)})`);
  }
  return value;
}

function parseSha256(value: string): string {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw new TypeError(`sha256 must be 64 hex digits (got "${String(value)}")`);
  }
  return value.toLowerCase();
}

/**
 * Resolves `dest` against the cache directory and refuses anything that ends
 * up outside it, symbolic links included, so a plugin cannot be made to
 * overwrite arbitrary files.
 */
async function resolveInsideCache(cacheDir: string, dest: string): Promise<string> {
  const root = resolve(cacheDir);
  const target = resolve(root, dest);
  const outside = (from: string, to: string) => {
    const rel = relative(from, to);
    return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  };
  const refuse = () =>
    new TypeError(
      `download destination "${dest}" is outside the cache directory ${root}; ` +
        'give a path inside it (relative paths are resolved against it)',
    );
  if (outside(root, target)) throw refuse();
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  const isInside = (real: string) => real === realRoot || !outside(realRoot, real);
  // Check the deepest folder that exists before creating any: mkdir through a
  // symbolic link would create folders wherever the link points.
  const existing = await deepestExisting(dirname(target), root);
  const realExisting = await realpath(existing).catch(() => undefined);
  if (realExisting === undefined || !isInside(realExisting)) throw refuse();
  await mkdir(dirname(target), { recursive: true });
  // Checked again: a link may have appeared between the check and the mkdir.
  const realParent = await realpath(dirname(target));
  if (!isInside(realParent)) throw refuse();
  return join(realParent, basename(target));
}

/**
 * `path` or its nearest ancestor that exists (a dangling symbolic link
 * counts as existing), stopping at `root`, which exists.
 */
async function deepestExisting(path: string, root: string): Promise<string> {
  for (let current = path; current !== root; current = dirname(current)) {
    try {
      await lstat(current);
      return current;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
  }
  return root;
}
