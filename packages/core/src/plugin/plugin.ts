export interface PluginInfo {
  /** Human-readable name, e.g. "Silero VAD". */
  title: string;
  /** The package's version (read from its package.json). */
  version: string;
  /** The npm package name, e.g. "@agents/plugin-silero". One registration per package. */
  package: string;
}

export interface DownloadFilesOptions {
  signal?: AbortSignal;
}

export class PluginRegistrationError extends Error {
  override name = 'PluginRegistrationError';
}

const registry = new Map<string, Plugin>();

/**
 * Base class of a plugin package. A plugin package creates one instance and
 * passes it to `Plugin.registerPlugin()` when it is first imported, so that
 * `agents download-files` can find everything the app uses.
 */
export abstract class Plugin implements PluginInfo {
  readonly title: string;
  readonly version: string;
  readonly package: string;

  constructor(info: PluginInfo) {
    for (const key of ['title', 'version', 'package'] as const) {
      if (typeof info?.[key] !== 'string' || info[key].trim() === '') {
        throw new TypeError(
          `Plugin ${key} must be a non-empty string (got ${String(info?.[key])})`,
        );
      }
    }
    this.title = info.title;
    this.version = info.version;
    this.package = info.package;
  }

  /**
   * Makes sure the files this plugin needs at run time (model weights and the
   * like) are on disk and verified. Plugins that need none keep this default.
   */
  async downloadFiles(_options: DownloadFilesOptions = {}): Promise<void> {}

  /** Adds a plugin to the process-wide registry; a package registered twice is an error. */
  static registerPlugin(plugin: Plugin): void {
    if (!(plugin instanceof Plugin)) {
      throw new TypeError('Plugin.registerPlugin() takes an instance of a Plugin subclass');
    }
    const existing = registry.get(plugin.package);
    if (existing) {
      throw new PluginRegistrationError(
        `plugin package ${plugin.package} is already registered (${existing.title} ` +
          `${existing.version}, now ${plugin.title} ${plugin.version}). A package registers ` +
          `itself once, when first imported: look for two installed copies ` +
          `(npm ls ${plugin.package}) or a second registerPlugin() call.`,
      );
    }
    registry.set(plugin.package, plugin);
  }

  /** Every registered plugin, in registration order. */
  static get registeredPlugins(): readonly Plugin[] {
    return [...registry.values()];
  }
}
