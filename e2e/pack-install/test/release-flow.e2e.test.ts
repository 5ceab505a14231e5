import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackageJson, packAll, publishablePackages, repoRoot } from '../lib/packages.js';
import {
  bumped,
  copyForVersioning,
  internalRanges,
  listFiles,
  requestedBump,
  sourcesOutside,
  undeclaredImports,
} from '../lib/release.js';
import { run } from '../lib/run.js';

// The release flow on what is committed today: `changeset version` (on a copy),
// `pnpm publish --dry-run`, and what each tarball ships.

const packages = publishablePackages();
const names = new Set(packages.map((pkg) => pkg.name));
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'agents-release-flow-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('changeset version, on a copy of the repository', () => {
  let versioned: Map<string, PackageJson>;

  beforeAll(async () => {
    const copy = join(work, 'versioned');
    mkdirSync(copy);
    copyForVersioning(copy);
    await run(
      process.execPath,
      [join(repoRoot, 'node_modules/@changesets/cli/bin.js'), 'version'],
      {
        cwd: copy,
        timeoutMs: 60_000,
      },
    );
    versioned = new Map(
      packages.map((pkg) => {
        const file = join(copy, pkg.dir.slice(repoRoot.length), 'package.json');
        return [pkg.name, JSON.parse(readFileSync(file, 'utf8')) as PackageJson];
      }),
    );
  });

  it('moves every @agents/* package to one version together (the fixed group)', () => {
    const versions = new Set([...versioned.values()].map((manifest) => manifest.version));
    expect([...versions], 'versions after changeset version').toHaveLength(1);
  });

  it('gives the version the pending changesets ask for', () => {
    const bump = requestedBump(names);
    const current = packages[0]?.manifest.version ?? '';
    const expected = bump ? bumped(current, bump) : current;
    // A minor release of @agents/core must not become a major one. By default
    // changesets bumps every package that has a bumped package as a peer
    // dependency (the plugins: @agents/core) to major, and the fixed group then
    // takes every package there. The experimental option
    // onlyUpdatePeerDependentsWhenOutOfRange stops that while the new version
    // stays in the peer range (from 1.0 on); below 1.0 every minor leaves ^0.x.
    expect(
      versioned.get('@agents/core')?.version,
      `the pending changesets ask for a ${bump} bump of ${current}`,
    ).toBe(expected);
  });

  it('keeps every internal range a workspace range pnpm rewrites at publish time', () => {
    for (const [name, manifest] of versioned) {
      for (const { field, name: dep, range } of internalRanges(manifest)) {
        // Peers on @agents/core are `workspace:^0` while we are below 1.0: a range that
        // holds every 0.x, so changesets (onlyUpdatePeerDependentsWhenOutOfRange) keeps a
        // minor release minor. At 1.0 they become `workspace:^`.
        const allowed =
          field === 'peerDependencies' ? /^workspace:([*^~]|\^0)$/ : /^workspace:[*^~]$/;
        expect(range, `${name} ${field} ${dep}`).toMatch(allowed);
      }
    }
  });
});

describe('pnpm publish --dry-run', () => {
  for (const pkg of packages) {
    it(`succeeds for ${pkg.name}`, async () => {
      const result = await run('pnpm', ['publish', '--dry-run', '--no-git-checks'], {
        cwd: pkg.dir,
        timeoutMs: 120_000,
      });
      expect(result.stdout + result.stderr).toContain(`${pkg.name}@${pkg.manifest.version}`);
    });
  }
});

describe('what each tarball ships', () => {
  const unpacked = new Map<string, { dir: string; files: string[] }>();

  beforeAll(async () => {
    const tarballs = await packAll(packages, join(work, 'tarballs'));
    for (const [name, tarball] of tarballs) {
      const dir = join(work, 'unpacked', name);
      mkdirSync(dir, { recursive: true });
      await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1'], {
        cwd: work,
        timeoutMs: 60_000,
      });
      unpacked.set(name, { dir, files: listFiles(dir) });
    }
  });

  for (const pkg of packages) {
    describe(pkg.name, () => {
      it('has its README.md, LICENSE (Apache-2.0, as the repository) and NOTICE', () => {
        const { dir, files } = unpacked.get(pkg.name) ?? { dir: '', files: [] };
        for (const file of ['README.md', 'LICENSE', 'NOTICE']) expect(files).toContain(file);
        expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
        expect(pkg.manifest.license).toBe('Apache-2.0');
      });

      it('has no workspace: range, no test file and no source map pointing outside it', () => {
        const { dir, files } = unpacked.get(pkg.name) ?? { dir: '', files: [] };
        expect(readFileSync(join(dir, 'package.json'), 'utf8')).not.toMatch(/workspace:/);
        expect(
          files.filter((f) => /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s/.test(f)),
        ).toEqual([]);
        expect(sourcesOutside(dir, files)).toEqual([]);
      });

      it('imports only packages it declares (dependencies, peers, optional)', () => {
        const { dir, files } = unpacked.get(pkg.name) ?? { dir: '', files: [] };
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
        expect(undeclaredImports(dir, files, manifest)).toEqual([]);
      });
    });
  }

  it('ships the Silero model with its license and origin, named in the package NOTICE', () => {
    const silero = unpacked.get('@agents/plugin-silero');
    expect(silero?.files).toEqual(
      expect.arrayContaining(['models/silero_vad_v5.onnx', 'models/NOTICE']),
    );
    const notice = readFileSync(join(silero?.dir ?? '', 'NOTICE'), 'utf8');
    expect(notice).toMatch(/Silero VAD/);
    expect(notice).toMatch(/MIT License/);
    expect(readFileSync(join(silero?.dir ?? '', 'models/NOTICE'), 'utf8')).toMatch(
      /Permission is hereby granted/,
    );
  });
});
