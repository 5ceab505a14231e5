import { createRequire } from 'node:module';
import { log, plugin } from '@agents/core';
import { BUNDLED_MODEL_PATH, readBundledModel } from './model.js';

const { name, version } = createRequire(import.meta.url)('../package.json') as {
  name: string;
  version: string;
};

export class SileroPlugin extends plugin.Plugin {
  constructor() {
    super({ title: 'Silero VAD', version, package: name });
  }

  /**
   * Nothing to download: the model ships inside the package. This checks that it is there
   * and intact, so that a broken install shows up at build time, not in the first job.
   */
  override async downloadFiles(_options: plugin.DownloadFilesOptions = {}): Promise<void> {
    await readBundledModel();
    log().info({ path: BUNDLED_MODEL_PATH }, 'silero model present and verified');
  }
}
