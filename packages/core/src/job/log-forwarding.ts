/**
 * A job process logs through the same `log()` as the worker, but its lines go
 * to the worker over IPC instead of to stdout: the worker writes them through
 * its own logger, with the job's bindings, so one process owns the output
 * (format, level, destination) and every line says which job it came from.
 */
import type { DestinationStream, Logger } from 'pino';
import type { ParentChannel } from './parent-channel.js';

/**
 * Log lines are dropped (and counted) while this many messages wait to be
 * written: a job that logs faster than the worker reads must not grow its
 * memory without bound. The count is reported once lines flow again.
 */
const MAX_MESSAGES_IN_FLIGHT = 1000;

/** pino level numbers, as pino defines them. */
const WARN_LEVEL = 40;

/** Child side: a pino destination that sends each line to the parent. */
export class IpcLogDestination implements DestinationStream {
  readonly #channel: ParentChannel;
  #dropped = 0;

  constructor(channel: ParentChannel) {
    this.#channel = channel;
  }

  write(line: string): void {
    if (this.#channel.inFlight >= MAX_MESSAGES_IN_FLIGHT) {
      this.#dropped++;
      return;
    }
    if (this.#dropped > 0) {
      const msg = `dropped ${this.#dropped} log lines: the worker was not reading them fast enough`;
      this.#channel.send({
        type: 'log',
        line: JSON.stringify({ level: WARN_LEVEL, time: Date.now(), msg }),
      });
      this.#dropped = 0;
    }
    this.#channel.send({ type: 'log', line });
  }
}

/**
 * Parent side: a logger for lines from a child. Their `err` fields were
 * serialized by the child's pino (with the real error type); serializing them
 * again would turn every one into `type: "Object"`.
 */
export function childLineLogger(logger: Logger): Logger {
  return logger.child({}, { serializers: { err: (err: unknown) => err } });
}

const LOG_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
type LogMethod = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Parent side: writes one line from a child through `logger` (a
 * `childLineLogger` carrying the `{ jobPid, jobId }` bindings). The child's
 * own `pid` and `hostname` are dropped (the worker's logger writes its own,
 * and `jobPid` says which child); its `time` is replaced by the parent's,
 * which is at most an IPC hop later.
 */
export function writeChildLog(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line);
  } catch {
    logger.warn({ line: line.slice(0, 500) }, 'job process sent a log line that is not JSON');
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = record;
  const label = typeof level === 'number' ? logger.levels.labels[level] : undefined;
  const method: LogMethod = label && LOG_METHODS.has(label) ? (label as LogMethod) : 'info';
  logger[method](fields, typeof msg === 'string' ? msg : '');
}
