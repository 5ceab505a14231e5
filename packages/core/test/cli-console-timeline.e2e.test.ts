// `console --timeline`: the run also draws the conversation as an SVG picture.
// The agent is the stand-in assistant of cli-console.e2e.test.ts (one turn, a
// tool call, 0.4 s of tone); the real VoiceAssistant's picture is checked in
// @agents/testing (test/voice/timeline.test.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledMs } from './time.js';
import { assertWellFormedXml } from './xml-check.js';

const fixture = (path: string) => fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url));
const agent = fixture('agents/console-agent.mjs');
const speech = fixture('speech-hello-16khz-mono.wav');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-timeline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child: ChildProcess = spawn(process.execPath, [agent, 'console', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), scaledMs(30_000));
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

describe('console --timeline', () => {
  it('writes a picture of the turn: the user, the end of turn, the tool call, the agent, the latency', async () => {
    const timeline = join(dir, 'turn.svg');
    const result = await run([
      '--input',
      speech,
      '--output',
      join(dir, 'turn.wav'),
      '--timeline',
      timeline,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`timeline picture: ${timeline}`);
    const svg = await readFile(timeline, 'utf8');
    assertWellFormedXml(svg);
    expect(svg).toContain('Conversation on speech-hello-16khz-mono.wav');
    expect(svg).toContain('end of turn: Hello, agent.');
    expect(svg).toContain('tool: lookup_weather');
    expect(svg).toMatch(/agent speech \(done\), 0\.\d\d s/);
    expect(svg).toMatch(
      /#1 \(user stopped at \d+\.\d\d s\): final transcript \+\d+ ms · end of turn/,
    );
  });

  it('--json reports the picture as an event', async () => {
    const timeline = join(dir, 'json.svg');
    const result = await run([
      '--input',
      speech,
      '--output',
      join(dir, 'json.wav'),
      '--timeline',
      timeline,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; timeline?: string });
    expect(events.find((e) => e.type === 'timeline_written')?.timeline).toBe(timeline);
    expect(existsSync(timeline)).toBe(true);
  });

  it('says what to fix: a picture that is not .svg, a directory that does not exist', async () => {
    const notSvg = await run([
      '--input',
      speech,
      '--output',
      join(dir, 'x.wav'),
      '--timeline',
      join(dir, 't.png'),
    ]);
    expect(notSvg.code).toBe(1);
    expect(notSvg.stderr).toMatch(
      /--timeline .*t\.png: the picture is an SVG file; name it \*\.svg/,
    );
    const noDir = await run([
      '--input',
      speech,
      '--output',
      join(dir, 'x.wav'),
      '--timeline',
      join(dir, 'missing', 't.svg'),
    ]);
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toMatch(/--timeline .*t\.svg: the directory .*missing does not exist/);
  });
});
