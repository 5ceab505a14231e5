// The demo: runs agent.ts in console mode on a recording, with the real
// Deepgram, OpenAI and ElevenLabs where their API keys are set and local
// stand-ins for the others. `npm run demo` at the repository root installs and
// builds what this needs first, then runs it.
//
//   tsx demo.ts [--input in.wav] [--output out.wav] [--timeline picture.svg | --no-timeline]
//               [--json] [other console options]
import { spawn } from 'node:child_process';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY_ENV, SERVICES, type Service, startStandIns } from './stand-ins.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const NAMES: Record<Service, string> = {
  deepgram: 'Deepgram (speech to text)',
  openai: 'OpenAI (language model)',
  elevenlabs: 'ElevenLabs (text to speech)',
};

/** `--name value` or `--name=value`, removed from `args`. */
function takeOption(args: string[], name: string): string | undefined {
  const index = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (index < 0) return undefined;
  const [arg] = args.splice(index, 1);
  if (arg?.includes('=')) return arg.slice(name.length + 1);
  const [value] = args.splice(index, 1);
  if (value === undefined || value.startsWith('--')) {
    throw new Error(`${name} needs a value, e.g. ${name} my-recording.wav`);
  }
  return value;
}

/** `--name`, removed from `args`: true if it was there. */
function takeFlag(args: string[], name: string): boolean {
  const index = args.indexOf(name);
  if (index >= 0) args.splice(index, 1);
  return index >= 0;
}

/** demo-output.wav → demo-timeline.svg; my.wav → my-timeline.svg, in the same folder. */
function defaultTimeline(output: string): string {
  const stem = basename(output, extname(output)).replace(/-output$/, '');
  return join(dirname(output), `${stem}-timeline.svg`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const input = resolve(takeOption(args, '--input') ?? here('fixtures/weather-request.wav'));
  const output = resolve(takeOption(args, '--output') ?? 'demo-output.wav');
  // The picture of the conversation goes next to the recording unless asked otherwise.
  const noTimeline = takeFlag(args, '--no-timeline');
  const timeline = noTimeline
    ? undefined
    : resolve(takeOption(args, '--timeline') ?? defaultTimeline(output));
  // Notes go to stderr so that with --json stdout carries only the events.
  const note = (line: string) => process.stderr.write(`${line}\n`);

  const standIn = SERVICES.filter((s) => !process.env[API_KEY_ENV[s]]);
  for (const service of SERVICES) {
    note(
      standIn.includes(service)
        ? `${NAMES[service]}: local stand-in (set ${API_KEY_ENV[service]} to use the real service)`
        : `${NAMES[service]}: the real service (${API_KEY_ENV[service]} is set)`,
    );
  }
  const standIns = await startStandIns({ services: standIn, input, latency: 'realistic' });
  if (standIns.deepgram && !standIns.deepgram.pendingScripts.length) {
    note(
      'The Deepgram stand-in does not understand speech: on a recording of your own it gives ' +
        'placeholder words. Set DEEPGRAM_API_KEY for a real transcript.',
    );
  }
  note(`Hearing ${input}\n`);
  try {
    const tsx = here('node_modules/.bin/tsx');
    const agent = here('agent.ts');
    const pictureArgs = timeline ? ['--timeline', timeline] : [];
    const consoleArgs = ['console', '--input', input, '--output', output, ...pictureArgs];
    const child = spawn(tsx, [agent, ...consoleArgs, ...args], {
      env: { ...process.env, ...standIns.env },
      stdio: 'inherit',
    });
    // Ctrl-C reaches the agent too (same terminal): let it finish its recording, then stop.
    const ignore = () => {};
    process.on('SIGINT', ignore);
    const code = await new Promise<number>((done) => {
      child.once('error', (error) => {
        note(`could not start the agent (${tsx}): ${error.message}`);
        done(1);
      });
      child.once('exit', (status, signal) => done(status ?? (signal ? 130 : 1)));
    });
    process.off('SIGINT', ignore);
    if (code === 0) {
      note(
        `\nThe conversation's stereo recording (you on the left, the agent on the right): ${output}`,
      );
      if (timeline) {
        note(`Its timeline (open it in a browser; hover a mark for details): ${timeline}`);
      }
    } else note(`the agent exited with status ${code}`);
    return code;
  } finally {
    await standIns.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
