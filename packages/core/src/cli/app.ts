import { basename } from 'node:path';
import { type Job, JobType } from '@livekit/protocol';
import { Command, Option } from 'commander';
import { isJobProcess } from '../job/index.js';
import type { RunningJobInfo } from '../job/job-info.js';
import { log } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { signalExitCode } from '../utils/process.js';
import type { WorkerOptions } from '../worker/options.js';
import { Worker } from '../worker/worker.js';
import { addConsoleCommand } from './console-command.js';
import { downloadPluginFiles } from './download-files.js';
import {
  healthPortOption,
  logLevelOption,
  parseMilliseconds,
  runProgram,
  setupCommandLogging,
  withShutdownSignal,
} from './program.js';
import { attachDevHandoff, watchAndRestart } from './watch.js';

export interface RunAppOptions extends Partial<WorkerOptions> {
  /** Command-line arguments, as in `process.argv` (default). */
  argv?: readonly string[];
}

/** How long a second signal leaves the worker to tell the server what it can before exiting. */
const TERMINATE_TIMEOUT_MS = 1500;
/** The health port of `dev` and `connect` unless one is given: any free port, so two can run. */
const DEV_HEALTH_PORT = 0;

interface ConnectionFlags {
  url?: string;
  apiKey?: string;
  apiSecret?: string;
  healthPort?: number;
  logLevel: string;
}

/**
 * `--url`, `--api-key`, `--api-secret` (defaulting to the LIVEKIT_* variables),
 * `--health-port` and `--log-level`.
 */
function withConnectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'LiveKit server URL').env('LIVEKIT_URL'))
    .addOption(new Option('--api-key <key>', 'LiveKit API key').env('LIVEKIT_API_KEY'))
    .addOption(new Option('--api-secret <secret>', 'LiveKit API secret').env('LIVEKIT_API_SECRET'))
    .addOption(healthPortOption())
    .addOption(logLevelOption());
}

/** The body of `runApp` (./index.ts), loaded when an agent file runs as a CLI. */
export async function runApp(options: RunAppOptions = {}): Promise<void> {
  if (isJobProcess()) return;
  const argv = options.argv ?? process.argv;
  const program = new Command(basename(argv[1] ?? 'agent'))
    .description('Run a voice agent')
    .showHelpAfterError();

  withConnectionOptions(program.command('start'))
    .description('run the worker in production: JSON logs, drains on SIGTERM')
    .addOption(
      new Option('--drain-timeout <ms>', 'how long a drain waits for running jobs')
        .argParser(parseMilliseconds)
        .default(options.drainTimeoutMs ?? 60_000),
    )
    .action(async (flags: ConnectionFlags & { drainTimeout: number }) => {
      setupCommandLogging(flags.logLevel, false);
      const worker = new Worker(
        workerOptions(options, flags, { drainTimeoutMs: flags.drainTimeout }),
      );
      await serveWorker(worker, { drainFirst: true });
    });

  withConnectionOptions(program.command('dev'))
    .description('run the worker in development: pretty logs, restarts when files change')
    .option('--no-watch', 'do not restart on file changes')
    .action(async (flags: ConnectionFlags & { watch: boolean }) => {
      setupCommandLogging(flags.logLevel, true);
      if (flags.watch) {
        const supervised = await watchAndRestart(options, argv);
        if (supervised !== undefined) {
          process.exitCode = supervised;
          return;
        }
      }
      const dev = devOverrides(options);
      const worker = new Worker(workerOptions(options, flags, dev));
      attachDevHandoff(worker);
      await serveWorker(worker, { drainFirst: false });
    });

  withConnectionOptions(program.command('connect'))
    .description('run the worker in development and ask for a job in a room')
    .requiredOption('--room <name>', 'room to join (created if needed)')
    .option('--participant-identity <identity>', 'run a publisher job for this participant')
    .action(async (flags: ConnectionFlags & { room: string; participantIdentity?: string }) => {
      setupCommandLogging(flags.logLevel, true);
      const base = workerOptions(options, flags, devOverrides(options));
      const worker: Worker = new Worker({
        ...base,
        requestFnc: oneRoomJob(flags.room, () => worker.activeJobs, base.requestFnc),
      });
      worker.once('worker_registered', () => {
        worker.simulateJob(flags.room, flags.participantIdentity).catch((error: unknown) => {
          log().error({ err: error, room: flags.room }, 'could not ask for a job in the room');
        });
      });
      await serveWorker(worker, { drainFirst: false });
    });

  addConsoleCommand(program, options.agent);

  program
    .command('download-files')
    .description('download the files the imported plugins need (model weights), then exit')
    .addOption(logLevelOption())
    .action(async (opts: { logLevel: string }) => {
      setupCommandLogging(opts.logLevel);
      await withShutdownSignal((signal) => downloadPluginFiles(undefined, { signal }));
    });

  await runProgram(program, argv);
}

/**
 * `dev` and `connect`: no idle processes, a free health port, and no load
 * threshold (a busy laptop must not refuse the developer's own jobs; `maxJobs`
 * still applies), unless the code says otherwise.
 */
function devOverrides(fromCode: RunAppOptions): Partial<WorkerOptions> {
  return {
    numIdleProcesses: fromCode.numIdleProcesses ?? 0,
    port: fromCode.port ?? DEV_HEALTH_PORT,
    loadThreshold: fromCode.loadThreshold ?? Number.POSITIVE_INFINITY,
  };
}

/** Options from the code, overridden by flags given on the command line. */
/**
 * `connect` asks for one job in its room. The agent's own join then creates
 * the room if it did not exist, and the server's automatic dispatch offers a
 * second room job for it: that one is declined, so one agent joins.
 */
function oneRoomJob(
  room: string,
  activeJobs: () => readonly RunningJobInfo[],
  inner: WorkerOptions['requestFnc'],
): NonNullable<WorkerOptions['requestFnc']> {
  return async (req) => {
    const isRoomJob = (job: Job) => job.type === JobType.JT_ROOM && job.room?.name === room;
    if (isRoomJob(req.job) && activeJobs().some((info) => isRoomJob(info.job))) {
      log().info({ room }, 'declining a second room job for the room connect asked for');
      return req.reject();
    }
    return inner ? inner(req) : req.accept();
  };
}

function workerOptions(
  fromCode: RunAppOptions,
  flags: ConnectionFlags,
  overrides: Partial<WorkerOptions>,
): WorkerOptions {
  const { argv: _argv, ...rest } = fromCode;
  if (!rest.agent) {
    throw new Error(
      'runApp needs the agent file: cli.runApp({ agent: fileURLToPath(import.meta.url) })',
    );
  }
  return {
    ...rest,
    agent: rest.agent,
    ...overrides,
    wsURL: flags.url ?? rest.wsURL,
    apiKey: flags.apiKey ?? rest.apiKey,
    apiSecret: flags.apiSecret ?? rest.apiSecret,
    port: flags.healthPort ?? overrides.port ?? rest.port,
  };
}

/**
 * Runs a worker until it fails or a signal stops it. First SIGINT/SIGTERM:
 * drain (production) or close (development). A second one exits at once, with
 * 128 + the signal's number, after the worker has had a moment to tell the
 * server how its jobs ended.
 */
async function serveWorker(worker: Worker, { drainFirst }: { drainFirst: boolean }): Promise<void> {
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals > 2) process.exit(signalExitCode(name));
    if (signals === 2) {
      log().warn({ signal: name }, 'second signal: exiting now');
      withDeadline(worker.terminate(), TERMINATE_TIMEOUT_MS, 'terminate')
        .catch((error: unknown) => log().warn({ err: errorMessage(error) }, 'exiting anyway'))
        .finally(() => process.exit(signalExitCode(name)));
      return;
    }
    log().info({ signal: name }, drainFirst ? 'draining, then closing' : 'closing');
    const stopping = drainFirst ? worker.drain().then(() => worker.close()) : worker.close();
    stopping.catch((error: unknown) => log().error({ err: error }, 'error while stopping'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  worker.once('worker_registered', () => {
    log().info({ url: `http://${worker.options.host}:${worker.healthPort}/` }, 'health server');
  });
  try {
    await worker.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
