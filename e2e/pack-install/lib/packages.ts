import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  exports?: unknown;
  bin?: Record<string, string>;
  keywords?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface Publishable {
  name: string;
  dir: string;
  manifest: PackageJson;
  isPlugin: boolean;
  /** What a user can import: the package name and each subpath export, e.g. `@agents/testing/conformance`. */
  entryPoints: string[];
}

/** Every package a release publishes: the non-private ones under packages/ and plugins/. */
export function publishablePackages(): Publishable[] {
  const found: Publishable[] = [];
  for (const group of ['packages', 'plugins']) {
    for (const entry of readdirSync(join(repoRoot, group)).sort()) {
      const dir = join(repoRoot, group, entry);
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (manifest.private) continue;
      const isPlugin = manifest.keywords?.includes('agents-plugin') ?? false;
      found.push({
        name: manifest.name,
        dir,
        manifest,
        isPlugin,
        entryPoints: entryPoints(manifest),
      });
    }
  }
  return found;
}

/** `pnpm pack` of each package into `destination`; returns the tarball paths by package name. */
export async function packAll(
  packages: Publishable[],
  destination: string,
): Promise<Map<string, string>> {
  const tarballs = new Map<string, string>();
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist'))) {
      throw new Error(`${pkg.name} has no dist/ to pack: run \`pnpm build\` first`);
    }
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination], {
      cwd: pkg.dir,
      timeoutMs: 60_000,
    });
    const tarball = stdout.trim().split('\n').at(-1)?.trim() ?? '';
    if (!tarball.endsWith('.tgz') || !existsSync(tarball)) {
      throw new Error(`pnpm pack in ${pkg.dir} printed no tarball path:\n${stdout}`);
    }
    tarballs.set(pkg.name, tarball);
  }
  return tarballs;
}

function entryPoints(manifest: PackageJson): string[] {
  const subpaths =
    typeof manifest.exports === 'object' && manifest.exports !== null
      ? Object.keys(manifest.exports).filter((key) => key.startsWith('.'))
      : ['.'];
  return subpaths
    .filter((subpath) => subpath !== './package.json' && !subpath.includes('*'))
    .map((subpath) => (subpath === '.' ? manifest.name : `${manifest.name}${subpath.slice(1)}`));
}
