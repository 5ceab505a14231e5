import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Publishable } from './packages.js';
import { type RunResult, run } from './run.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/**
 * The environment npm runs in: the caller's, without the npm_* and pnpm_*
 * variables pnpm sets for its scripts (they would configure the inner npm;
 * the registry and proxy settings a user may have set stay),
 * and with onnxruntime-node's postinstall told to skip its download. That
 * download is the CUDA provider from api.nuget.org, the only file its script
 * fetches on any platform (linux-x64); the CPU provider ships in the package.
 * plugins/silero/README.md tells users the same.
 */
export function npmEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const kept = /^npm_config_(registry|proxy|https_proxy|noproxy)$/i.test(key);
    if (kept || !/^(npm|pnpm)_/i.test(key)) env[key] = value;
  }
  return {
    ...env,
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    npm_config_cache: cache,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/**
 * A fresh npm project in `dir`: CommonJS at its root (what `npm init -y`
 * gives) and an ES module scope in `esm/`, sharing one node_modules. The
 * tarballs are installed with plain `npm install`.
 */
export async function createApp(
  dir: string,
  tarballs: string[],
  cache: string,
): Promise<RunResult> {
  mkdirSync(join(dir, 'esm'), { recursive: true });
  const manifest = { name: 'pack-install-app', version: '1.0.0', private: true, type: 'commonjs' };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'esm', 'package.json'), '{ "type": "module" }\n');
  for (const file of ['load.cjs', 'agent.cjs']) copyFileSync(join(fixtures, file), join(dir, file));
  for (const file of ['load.mjs', 'agent.mjs', 'drive-agent.mjs']) {
    copyFileSync(join(fixtures, file), join(dir, 'esm', file));
  }
  return run('npm', ['install', '--no-audit', '--no-fund', ...tarballs], {
    cwd: dir,
    env: npmEnv(cache),
    timeoutMs: 300_000,
  });
}

/**
 * A TypeScript file that imports every package's whole public API, plus a
 * typed agent, in both module scopes (api.ts in the CommonJS root, esm/api.ts
 * in the ES module scope: tsc decides each file's format from its scope), and
 * a tsconfig as a user would write it. With skipLibCheck off, tsc checks
 * every published .d.ts the imports reach. Returns the tsconfig's name.
 */
export function writeTypeCheck(
  dir: string,
  packages: Publishable[],
  options: { skipLibCheck: boolean; typeRoots: string },
): string {
  const specifiers = packages.flatMap((pkg) => pkg.entryPoints);
  const imports = specifiers.map((specifier, i) => `import * as api${i} from '${specifier}';`);
  const source = [
    ...imports,
    "import { defineAgent, type JobContext } from '@agents/core';",
    '',
    `export const everyApi = [${specifiers.map((_, i) => `api${i}`).join(', ')}];`,
    'export const agent = defineAgent({',
    '  entry: async (ctx: JobContext) => {',
    '    console.log(ctx.job.id);',
    '  },',
    '});',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'api.ts'), source);
  writeFileSync(join(dir, 'esm', 'api.ts'), source);
  const name = `tsconfig.${options.skipLibCheck ? 'skip' : 'full'}-lib-check.json`;
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noEmit: true,
      skipLibCheck: options.skipLibCheck,
      types: ['node'],
      typeRoots: [options.typeRoots],
    },
    files: ['api.ts', 'esm/api.ts'],
  };
  writeFileSync(join(dir, name), `${JSON.stringify(tsconfig, null, 2)}\n`);
  return name;
}
