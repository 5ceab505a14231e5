import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { lazyModule } from './utils/lazy-module.js';

// Loaded only when pretty output is asked for: production job processes skip its start-up cost.
const loadPrettyStream = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
// Loaded with the first logger, not on `import '@agents/core'`: code that never logs skips it.
const loadPino = lazyModule<typeof Pino>('pino');

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Names other tools use for the same levels (Python's logging among them). */
const LEVEL_ALIASES: Record<string, LogLevel> = { warning: 'warn', critical: 'fatal' };

/**
 * Fields that hold credentials, wherever they appear at the top level or one
 * level down. pino removes them before serialising, so they never reach a sink.
 */
const SECRET_KEYS = [
  'apiKey',
  'apiSecret',
  'api_key',
  'api_secret',
  'token',
  'accessToken',
  'access_token',
  'password',
  'secret',
  'authorization',
  'Authorization',
  'cookie',
  '"xi-api-key"',
];
const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.headers.${key}`),
];
const REDACTED = '[redacted]';

export interface LoggerOptions {
  /** Default: `LOG_LEVEL` from the environment, else `info`. */
  level?: LogLevel | string;
  /** Human-readable lines (development) instead of JSON lines (production). */
  pretty?: boolean;
  /** Where lines go; default stdout. */
  destination?: DestinationStream;
}

let root: Logger | undefined;

/** Parses a level name case-insensitively; an unknown name is an error listing the valid ones. */
export function parseLogLevel(value: string): LogLevel {
  const lower = value.trim().toLowerCase();
  const level = LEVEL_ALIASES[lower] ?? lower;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new TypeError(`unknown log level "${value}"; use one of: ${LOG_LEVELS.join(', ')}`);
  }
  return level as LogLevel;
}

/**
 * (Re)creates the process-wide logger. The CLI calls this once at start-up;
 * loggers obtained from `log()` before that keep the old settings, so code
 * should call `log()` when it needs one rather than at import time.
 */
export function initializeLogger(options: LoggerOptions = {}): Logger {
  const level = parseLogLevel(options.level ?? process.env.LOG_LEVEL ?? 'info');
  const usePretty = options.pretty ?? process.env.NODE_ENV !== 'production';
  const destination = usePretty
    ? loadPrettyStream()({
        sync: true,
        colorize: options.destination === undefined && process.stdout.isTTY === true,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss.l',
        destination: options.destination ?? 1,
      })
    : options.destination;
  const settings = { level, redact: { paths: REDACT_PATHS, censor: REDACTED } };
  const { pino } = loadPino();
  root = destination ? pino(settings, destination) : pino(settings);
  followLevelInRtcNode(level);
  return root;
}

/**
 * @livekit/rtc-node logs through a pino instance of its own, as JSON on
 * stdout, at `debug` unless NODE_ENV=production: its "Connect callback
 * received" then lands among our lines at every room connect. It does not
 * export that logger, so reach its module by path (past the package's
 * `exports`; the ESM entry re-exports the CJS one, so this is the same
 * instance) and give it our level: its warnings and errors stay on at `info`.
 * A layout that has changed leaves its default, which is only noisier.
 */
function followLevelInRtcNode(level: LogLevel): void {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@livekit/rtc-node');
    const rtc = require(join(dirname(entry), 'log.cjs')) as { log?: { level: string } };
    if (rtc.log && typeof rtc.log.level === 'string') rtc.log.level = level;
  } catch {
    // Not there in this version of rtc-node: nothing to quiet.
  }
}

/**
 * The process-wide logger, created with defaults on first use. Make a child
 * with the context that identifies the work: `log().child({ jobId, room })`.
 */
export function log(): Logger {
  return root ?? initializeLogger();
}

/** A URL fit for a log line: credentials and token query parameters removed. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url.toString());
  } catch {
    return '[unparseable url]';
  }
  if (parsed.username || parsed.password) {
    parsed.username = REDACTED;
    parsed.password = '';
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (/token|key|secret|password|signature/i.test(key)) parsed.searchParams.set(key, REDACTED);
  }
  return parsed.toString();
}
