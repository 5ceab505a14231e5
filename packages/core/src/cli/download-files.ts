import { log } from '../log.js';
import { Plugin } from '../plugin/plugin.js';
import { errorMessage } from '../utils/deadline.js';

/**
 * Runs `downloadFiles()` of each plugin in turn, logging what it does. The
 * first failure stops the run with an error naming the plugin.
 */
export async function downloadPluginFiles(
  plugins: readonly Plugin[] = Plugin.registeredPlugins,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  if (plugins.length === 0) {
    log().info('no plugins registered: nothing to download');
    return;
  }
  for (const plugin of plugins) {
    const logger = log().child({ plugin: plugin.package, version: plugin.version });
    logger.info(`downloading files for ${plugin.title}`);
    const started = performance.now();
    try {
      await plugin.downloadFiles({ signal: options.signal });
    } catch (error) {
      const reason = errorMessage(error);
      throw new Error(`${plugin.package}: ${reason}`, { cause: error });
    }
    const durationMs = Math.round(performance.now() - started);
    logger.info({ durationMs }, `finished downloading files for ${plugin.title}`);
  }
}
