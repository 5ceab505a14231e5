import { createRequire } from 'node:module';
import { Command } from 'commander';
import { Plugin } from '../plugin/plugin.js';
import { downloadPluginFiles } from './download-files.js';
import {
  discoverPluginPackages,
  findNearestPackageJson,
  importPluginPackages,
  PLUGIN_KEYWORD,
} from './find-plugins.js';
import { logLevelOption, runProgram, setupCommandLogging, withShutdownSignal } from './program.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

async function downloadFiles(packages: string[], signal: AbortSignal): Promise<void> {
  const projectPackageJson = findNearestPackageJson();
  if (!projectPackageJson) {
    throw new Error(
      `no package.json found from ${process.cwd()} upwards; run this in your project`,
    );
  }
  const names = packages.length > 0 ? packages : discoverPluginPackages(projectPackageJson);
  if (names.length === 0) {
    throw new Error(
      `no plugin packages in the dependencies of ${projectPackageJson} ` +
        `(looked for @agents/plugin-* and the "${PLUGIN_KEYWORD}" keyword); name them as arguments`,
    );
  }
  await importPluginPackages(names, projectPackageJson);
  const plugins = Plugin.registeredPlugins.filter((plugin) => names.includes(plugin.package));
  const silent = names.filter((name) => !plugins.some((plugin) => plugin.package === name));
  if (silent.length > 0) {
    throw new Error(
      `${silent.join(', ')} registered no plugin when imported: it is not an agents plugin, ` +
        'or it uses another copy of @agents/core (make @agents/core a peer dependency)',
    );
  }
  await downloadPluginFiles(plugins, { signal });
}

const program = new Command('agents')
  .description('Command-line tools for @agents/core voice agents')
  .version(version)
  .showHelpAfterError();

program
  .command('download-files')
  .description(
    'download the files plugin packages need (model weights) without importing your code; ' +
      'by default every plugin among the dependencies of the nearest package.json',
  )
  .argument('[packages...]', 'plugin packages to prepare, e.g. @agents/plugin-silero')
  .addOption(logLevelOption())
  .action(async (packages: string[], opts: { logLevel: string }) => {
    setupCommandLogging(opts.logLevel);
    await withShutdownSignal((signal) => downloadFiles(packages, signal));
  });

// Not a top-level await: runProgram reports failures itself and never rejects.
void runProgram(program, process.argv);
