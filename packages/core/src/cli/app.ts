import { basename } from 'node:path';
import { Command } from 'commander';
import { downloadPluginFiles } from './download-files.js';
import { logLevelOption, runProgram, setupCommandLogging, withShutdownSignal } from './program.js';

export interface RunAppOptions {
  /** Command-line arguments, as in `process.argv` (default). */
  argv?: readonly string[];
}

/**
 * The command line of an agent file: `node agent.js <command>`. Today it has
 * `download-files` (fetch what the plugins this file imported need).
 */
export async function runApp(options: RunAppOptions = {}): Promise<void> {
  const argv = options.argv ?? process.argv;
  const program = new Command(basename(argv[1] ?? 'agent'))
    .description('Run a voice agent')
    .showHelpAfterError();

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
