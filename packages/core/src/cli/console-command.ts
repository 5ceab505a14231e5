import { dispose } from '@livekit/rtc-node';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { initializeLogger, LOG_LEVELS } from '../log.js';
import { withDeadline } from '../utils/deadline.js';
import { runConsole } from './console.js';
import { withShutdownSignal } from './program.js';

interface ConsoleFlags {
  input: string;
  output: string;
  timeline?: string;
  json: boolean;
  maxTail: number;
  logLevel: string;
}

/** After the run, time for the event loop to empty before the process exits anyway. */
const EXIT_GRACE_MS = 2000;
const DISPOSE_TIMEOUT_MS = 2000;

/** `console`: the agent on a WAV file, in this process; see runConsole. */
export function addConsoleCommand(program: Command, agentFile: string | undefined): void {
  program
    .command('console')
    .description(
      'run the agent in this process on a WAV file (no LiveKit server): print the conversation ' +
        'and a latency table, and record it as stereo WAV (left: user, right: agent)',
    )
    .requiredOption('--input <file.wav>', 'what the user says: a WAV file, any rate and channels')
    .option('--output <file.wav>', 'where the recording goes', 'console-recording.wav')
    .option(
      '--timeline <file.svg>',
      'also draw the conversation on a time axis (speech, VAD, transcripts, turns, latencies) ' +
        'as an SVG picture to open in a browser',
    )
    .option(
      '--json',
      'one JSON object per line (each event with its time on the audio timeline)',
      false,
    )
    .addOption(
      new Option('--max-tail <seconds>', 'longest wait for the agent after the input ends')
        .argParser(parseSeconds)
        .default(30),
    )
    .addOption(
      new Option('--log-level <level>', `log level (${LOG_LEVELS.join(', ')}); logs go to stderr`)
        .env('LOG_LEVEL')
        .default('warn'),
    )
    .action(async (flags: ConsoleFlags) => {
      // Logs on stderr: stdout is the conversation (and, with --json, only JSON).
      initializeLogger({
        level: flags.logLevel,
        pretty: !flags.json,
        destination: pino.destination({ dest: 2, sync: true }),
      });
      if (!agentFile) {
        throw new Error(
          'runApp needs the agent file: cli.runApp({ agent: fileURLToPath(import.meta.url) })',
        );
      }
      const code = await withShutdownSignal((signal) =>
        runConsole({
          agentFile,
          input: flags.input,
          output: flags.output,
          timeline: flags.timeline,
          json: flags.json,
          maxTailSeconds: flags.maxTail,
          signal,
        }),
      );
      process.exitCode = code;
      // rtc-node's native side (the console's unconnected Room) would otherwise keep running.
      await withDeadline(dispose(), DISPOSE_TIMEOUT_MS, 'rtc-node dispose').catch(() => {});
      // A plugin's socket or timer must not keep a finished run alive.
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    });
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidArgumentError('expected a number of seconds above 0, such as 30');
  }
  return seconds;
}
