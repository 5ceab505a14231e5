// The demo as `npm run demo` runs it once the workspace is built: with no API
// keys it says it uses the stand-ins, runs the conversation and says where the
// recording is; a recording of the user's own goes through the same way.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaledMs } from '@agents/testing';
import { afterAll, expect, it } from 'vitest';
import { readRecording } from './recording.js';

/** Starting the agent (tsx, the models) takes seconds; the conversation runs in real time. */
const TEST_TIMEOUT_MS = scaledMs(120_000);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'voice-demo-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function demo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const key of ['DEEPGRAM_API_KEY', 'OPENAI_API_KEY', 'ELEVEN_API_KEY']) delete env[key];
  const child = spawn(here('../node_modules/.bin/tsx'), ['demo.ts', ...args], {
    cwd: here('..'),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const deadlineMs = scaledMs(90_000);
    const timer = setTimeout(() => {
      stderr += `\n[test] the demo still ran after ${deadlineMs} ms: killed`;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const events = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; text?: string });

it(
  'runs offline on the committed request, saying which services it stands in for',
  async () => {
    const output = join(dir, 'demo.wav');
    const run = await demo(['--output', output, '--json']);
    expect(run.code, run.stderr).toBe(0);
    for (const service of ['Deepgram', 'OpenAI', 'ElevenLabs']) {
      expect(run.stderr).toMatch(new RegExp(`${service} .*: local stand-in`));
    }
    expect(run.stderr).toContain(
      `stereo recording (you on the left, the agent on the right): ${output}`,
    );
    // --json keeps stdout to the events: every line is one.
    const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
    expect(lines.every((line) => line.startsWith('{'))).toBe(true);
    const said = events(run.stdout).filter((e) => e.type === 'user_speech_committed');
    expect(said.map((e) => e.text)).toEqual(["What's the weather like in Paris today?"]);
    const recording = readRecording(output);
    expect(recording.user.length).toBe(1);
    expect(recording.agent.length).toBe(2);
  },
  TEST_TIMEOUT_MS,
);

it(
  "takes a recording of the user's own, and tells them its transcript is placeholder words",
  async () => {
    const input = join(dir, 'my question.wav');
    copyFileSync(here('../fixtures/weather-request.wav'), input);
    const output = join(dir, 'mine.wav');
    const run = await demo(['--input', input, '--output', output, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('placeholder words');
    expect(run.stderr).toContain(`Hearing ${input}`);
    const answers = events(run.stdout).filter((e) => e.type === 'agent_speech_committed');
    expect(answers.at(-1)?.text).toBe('I can tell you the weather in Paris, London or Rome.');
    expect(existsSync(output)).toBe(true);
  },
  TEST_TIMEOUT_MS,
);

// The demo draws the conversation by default: a timeline picture next to the
// recording (out.wav → out-timeline.svg), named on stderr, with the turn in it.
it(
  'writes the timeline picture next to the recording and says where',
  async () => {
    const run = await demo(['--output', join(dir, 'call-output.wav')]);
    expect(run.code, run.stderr).toBe(0);
    const picture = join(dir, 'call-timeline.svg');
    expect(run.stderr).toContain(
      `Its timeline (open it in a browser; hover a mark for details): ${picture}`,
    );
    const svg = readFileSync(picture, 'utf8');
    expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Conversation on weather-request.wav');
    expect(svg).toContain('end of turn: What&#39;s the weather like in Paris today?');
    expect(svg).toContain('tool: getWeather');
    expect(svg).toMatch(
      /#1 \(user stopped at [\d.]+ s\): final transcript \+\d+ ms · end of turn \+\d+ ms · LLM first token \+\d+ ms · TTS first byte \+\d+ ms · first audio \+\d+ ms/,
    );
  },
  TEST_TIMEOUT_MS,
);
