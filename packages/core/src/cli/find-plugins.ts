import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * How a third-party package says it is an agents plugin without being
 * imported: this keyword in its package.json. `@agents/plugin-*` packages are
 * recognised by name.
 */
export const PLUGIN_KEYWORD = 'agents-plugin';

/** The package.json nearest to `from`, walking up, or undefined. */
export function findNearestPackageJson(from: string = process.cwd()): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Where Node would find `name` from the project, found without importing it. */
function findPackageDir(name: string, projectPackageJson: string): string | undefined {
  const lookIn = createRequire(projectPackageJson).resolve.paths(name) ?? [];
  return lookIn.map((dir) => join(dir, name)).find((dir) => existsSync(join(dir, 'package.json')));
}

/**
 * The plugin packages among a project's dependencies: `@agents/plugin-*` and
 * any dependency whose package.json has the `agents-plugin` keyword.
 */
export function discoverPluginPackages(projectPackageJson: string): string[] {
  const manifest = readJson(projectPackageJson);
  const names = new Set<string>();
  for (const field of ['dependencies', 'optionalDependencies']) {
    for (const name of Object.keys((manifest[field] as Record<string, string>) ?? {})) {
      names.add(name);
    }
  }
  return [...names].filter((name) => {
    if (name.startsWith('@agents/plugin-')) return true;
    const dir = findPackageDir(name, projectPackageJson);
    if (!dir) return false;
    const keywords = readJson(join(dir, 'package.json')).keywords;
    return Array.isArray(keywords) && keywords.includes(PLUGIN_KEYWORD);
  });
}

/**
 * Imports each package as the project would (resolved from its package.json),
 * which registers its plugin. Nothing else of the project is imported.
 */
export async function importPluginPackages(
  names: readonly string[],
  projectPackageJson: string,
): Promise<void> {
  const require = createRequire(projectPackageJson);
  for (const name of names) {
    let entry: string;
    try {
      entry = require.resolve(name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'MODULE_NOT_FOUND'
          ? `plugin package ${name} is not installed (run your package manager's install first)`
          : `cannot resolve plugin package ${name}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    await import(pathToFileURL(entry).href);
  }
}
