import { type Command, CommanderError, Option } from 'commander';
import { initializeLogger, LOG_LEVELS } from '../log.js';
import { errorMessage } from '../utils/deadline.js';

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
 * work in progress cleans up (no partial downloads); a second signal exits at once.
 */
export async function withShutdownSignal<T>(
  action: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
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
