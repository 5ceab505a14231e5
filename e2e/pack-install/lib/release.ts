import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { type PackageJson, repoRoot } from './packages.js';

const bumpTypes = ['patch', 'minor', 'major'] as const;
export type BumpType = (typeof bumpTypes)[number];

/**
 * The files `changeset version` reads and writes, copied to `dir`: the root
 * manifest, the workspace list, .changeset/ and every workspace package's
 * package.json and CHANGELOG.md. The repository itself is never touched.
 */
export function copyForVersioning(dir: string): void {
  for (const file of ['package.json', 'pnpm-workspace.yaml']) {
    cpSync(join(repoRoot, file), join(dir, file));
  }
  cpSync(join(repoRoot, '.changeset'), join(dir, '.changeset'), { recursive: true });
  for (const group of ['packages', 'plugins', 'examples', 'e2e']) {
    if (!existsSync(join(repoRoot, group))) continue;
    for (const entry of readdirSync(join(repoRoot, group))) {
      for (const file of ['package.json', 'CHANGELOG.md']) {
        const from = join(repoRoot, group, entry, file);
        if (!existsSync(from)) continue;
        mkdirSync(join(dir, group, entry), { recursive: true });
        cpSync(from, join(dir, group, entry, file));
      }
    }
  }
  if (existsSync(join(repoRoot, 'bench', 'package.json'))) {
    mkdirSync(join(dir, 'bench'));
    cpSync(join(repoRoot, 'bench', 'package.json'), join(dir, 'bench', 'package.json'));
  }
}

/** The largest bump the pending changesets ask for any of `names`, or undefined with none. */
export function requestedBump(names: Set<string>): BumpType | undefined {
  const dir = join(repoRoot, '.changeset');
  let highest = -1;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readFileSync(join(dir, file), 'utf8'));
    for (const line of front?.[1].split(/\r?\n/) ?? []) {
      const match = /^\s*['"]?([^'":]+)['"]?\s*:\s*(major|minor|patch)\s*$/.exec(line);
      if (match && names.has(match[1] as string)) {
        highest = Math.max(highest, bumpTypes.indexOf(match[2] as BumpType));
      }
    }
  }
  return highest < 0 ? undefined : bumpTypes[highest];
}

export function bumped(version: string, type: BumpType): string {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  if (type === 'major') return `${major + 1}.0.0`;
  if (type === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/** Every dependency range on another @agents/* package, with where it is. */
export function internalRanges(
  manifest: PackageJson,
): { field: string; name: string; range: string }[] {
  const found = [];
  for (const field of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
    'devDependencies',
  ] as const) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (name.startsWith('@agents/')) found.push({ field, name, range });
    }
  }
  return found;
}

/** Every file under `dir`, relative to it, with / separators. */
export function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory()
      ? listFiles(path, base)
      : [relative(base, path).split('\\').join('/')];
  });
}

/** Source map entries (of `.map` files under `packageDir`) that resolve to no file inside it. */
export function sourcesOutside(packageDir: string, files: string[]): string[] {
  const bad: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(join(packageDir, file), 'utf8')) as {
      sourceRoot?: string;
      sources?: string[];
    };
    for (const source of map.sources ?? []) {
      const resolved = join(packageDir, dirname(file), map.sourceRoot ?? '', source);
      if (relative(packageDir, resolved).startsWith('..') || !existsSync(resolved)) {
        bad.push(`${file} -> ${source}`);
      }
    }
  }
  return bad;
}

/**
 * Packages a tarball's JavaScript imports without declaring them in
 * dependencies, peerDependencies or optionalDependencies. In the workspace,
 * and in an npm project where another package brings them, such imports
 * resolve anyway; a user with a different set of packages gets a crash.
 */
export function undeclaredImports(
  packageDir: string,
  files: string[],
  manifest: PackageJson,
): string[] {
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const statement = /^\s*(?:import|export)\s(?:[^;]*?\sfrom\s)?\s*['"]([^'"]+)['"]/gm;
  const dynamic = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  const found = new Set<string>();
  for (const file of files.filter((f) => /\.[cm]?js$/.test(f) && !f.startsWith('src/'))) {
    const text = readFileSync(join(packageDir, file), 'utf8');
    for (const match of [...text.matchAll(statement), ...text.matchAll(dynamic)]) {
      const specifier = match[1] as string;
      if (specifier.startsWith('.') || isBuiltin(specifier)) continue;
      const name = specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
      if (!declared.has(name)) found.add(`${file}: ${specifier}`);
    }
  }
  return [...found];
}
