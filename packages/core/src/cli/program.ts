import { type Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { initializeLogger, LOG_LEVELS } from '../log.js';
import { errorMessage } from '../utils/deadline.js';
import { signalExitCode } from '../utils/process.js';

/** `--log-level`, defaulting to `LOG_LEVEL` from the environment, then `info`. */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', `log level (${LOG_LEVELS.join(', ')})`)
    .env('LOG_LEVEL')
    .default('info');
}

/** Sets up the logger for a command: pretty lines on a terminal, JSON otherwise. */
export function setupCommandLogging(level: string, pretty = process.stdout.isTTY === true): void {
  initializeLogger({ level, pretty });
}

/**
 * Runs an action with an AbortSignal that the first SIGINT/SIGTERM aborts, so
 * work in progress cleans up (no partial downloads); a second signal exits at
 * once, with 128 + its number (130 for SIGINT, 143 for SIGTERM) as a shell expects.
 */
export async function withShutdownSignal<T>(
  action: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signalExitCode(name));
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await action(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * `--health-port <port>`: where the worker's health server listens; 0 picks a
 * free port. Without it, the command's default applies (see runApp).
 */
export function healthPortOption(): Option {
  return new Option(
    '--health-port <port>',
    'port of the health server (GET / and /worker); 0 for any free port',
  ).argParser(parsePort);
}

/** Commander names the flag and the value in front of these messages. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535 (0: any free port)');
  }
  return port;
}

export function parseMilliseconds(value: string): number {
  const ms = Number(value);
  if (value.trim() === '' || !Number.isInteger(ms) || ms < 0) {
    throw new InvalidArgumentError('expected a whole number of milliseconds, such as 60000');
  }
  return ms;
}

/**
 * Parses `argv` and runs the chosen command. A failure is reported as one
 * line on stderr and a non-zero exit code, never a stack trace.
 */
export async function runProgram(program: Command, argv: readonly string[]): Promise<void> {
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its own message (usage errors, --help).
      process.exitCode = error.exitCode;
      return;
    }
    const reason = errorMessage(error);
    console.error(`${program.name()}: ${reason.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
