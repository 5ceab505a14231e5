#!/usr/bin/env node
// `npm run demo`: the voice-assistant example in console mode, on a fresh
// machine that has only Node and npm. It installs the workspace as `npm test`
// does (scripts/bootstrap.mjs), builds the packages the example uses, then
// runs examples/voice-assistant/demo.ts, which starts a local stand-in for
// each service whose API key is not set.
//
//   npm run demo [-- --input my.wav --output out.wav --timeline out.svg --json]
import { isAbsolute, join, resolve } from 'node:path';
import { bootstrap, failer, root, runner } from './bootstrap.mjs';

const fail = failer('demo.mjs');
const run = runner(fail);
const example = join(root, 'examples', 'voice-assistant');

// npm runs scripts in the repository root; paths the user typed are relative
// to where they typed them.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by npm; no turbo task runs this script
const cwd = process.env.INIT_CWD ?? process.cwd();
const args = process.argv.slice(2);
for (const [i, arg] of args.entries()) {
  const option = /^--(input|output|timeline)(=(.*))?$/.exec(arg);
  if (!option) continue;
  if (option[2] !== undefined) args[i] = `--${option[1]}=${absolute(option[3])}`;
  else if (args[i + 1] !== undefined) args[i + 1] = absolute(args[i + 1]);
}
if (!args.some((a) => /^--output(=|$)/.test(a)))
  args.push('--output', resolve(cwd, 'demo-output.wav'));

function absolute(path) {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

// The installs' and the build's output goes to stderr: with --json, stdout is the events only.
const toStderr = ['inherit', 2, 2];
const env = bootstrap(fail, toStderr);
const built = run(
  'pnpm',
  [
    'exec',
    'turbo',
    'run',
    'build',
    '--filter=example-voice-assistant...',
    '--output-logs=errors-only',
  ],
  { env, stdio: toStderr },
);
if (built !== 0) fail('the build failed (see above)');
process.exit(
  run(join(example, 'node_modules', '.bin', 'tsx'), ['demo.ts', ...args], { cwd: example }),
);
