// The demo draws the conversation by default: a timeline picture next to the
// recording (out.wav → out-timeline.svg), named on stderr, with the turn in it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaledMs } from '@agents/testing';
import { afterAll, expect, it } from 'vitest';

const TEST_TIMEOUT_MS = scaledMs(120_000);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'voice-demo-timeline-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function demo(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const key of ['DEEPGRAM_API_KEY', 'OPENAI_API_KEY', 'ELEVEN_API_KEY']) delete env[key];
  const child = spawn(here('../node_modules/.bin/tsx'), ['demo.ts', ...args], {
    cwd: here('..'),
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
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
      resolve({ code, stderr });
    });
  });
}

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
