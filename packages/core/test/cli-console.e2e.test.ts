// The `console` command end to end: an agent file written for rooms runs in
// this process on a WAV file, prints the conversation, and records it.
// The agent's assistant is a stand-in (fixtures/agents/console-agent.mjs) that
// answers each turn of speech with 0.4 s of tone; the real VoiceAssistant runs
// under the console in @agents/testing's tests and the example's.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWavFile } from '../src/audio/index.js';
import { scaledMs } from './time.js';

const fixture = (path: string) => fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url));
const agent = fixture('agents/console-agent.mjs');
const speech = fixture('speech-hello-16khz-mono.wav');
const tsxCli = join(
  dirname(createRequire(import.meta.url).resolve('tsx/package.json')),
  'dist/cli.mjs',
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [agent, 'console', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function finish(child: ChildProcess, timeoutMs = scaledMs(30_000)): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

function channel(frame: AudioFrame, index: number, from: number, to: number): Int16Array {
  const out = new Int16Array(Math.max(0, to - from));
  for (let i = from; i < to; i++) out[i - from] = frame.data[i * frame.channels + index] ?? 0;
  return out;
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** Seconds where the channel first rises above `threshold` (10 ms windows), from `fromSeconds`. */
function onset(frame: AudioFrame, index: number, fromSeconds = 0, threshold = 500): number {
  const window = frame.sampleRate / 100;
  for (
    let i = Math.round(fromSeconds * frame.sampleRate);
    i < frame.samplesPerChannel;
    i += window
  ) {
    if (rms(channel(frame, index, i, i + window)) > threshold) return i / frame.sampleRate;
  }
  return Number.POSITIVE_INFINITY;
}

describe('agent.js console', () => {
  it('prints the conversation and the latency table, and records user left, agent right after the turn', async () => {
    const output = join(dir, 'plain.wav');
    const run = await finish(start(['--input', speech, '--output', output]));
    expect(run.stderr).toContain('shutdown callback: the input ended and the agent finished');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const text = lines.map((line) => line.replace(/^\[\s*[\d.]+s\] /, ''));
    const user = text.indexOf('user: Hello, agent.');
    expect(user).toBeGreaterThan(0);
    expect(text.slice(user + 1, user + 4)).toEqual([
      'tool call: lookup_weather({"city":"Paris"})',
      'tool result: lookup_weather → sunny, 21 C',
      'agent: It is sunny in Paris.',
    ]);
    expect(run.stdout).toContain(`written to ${output}`);
    const table = lines.indexOf('turn  transcript  end of turn  LLM TTFT  TTS TTFB  end-to-end');
    expect(table).toBeGreaterThan(user);
    expect(lines[table + 1]).toMatch(/^1 +120 +\d+ +42 +17 +\d+$/);

    const recording = await readWavFile(output);
    expect([recording.sampleRate, recording.channels]).toEqual([24_000, 2]);
    const userStart = onset(recording, 0);
    // The agent's first sound of any level: its reply fades in, and a busy machine may play a
    // few quiet milliseconds of it before the output runs dry for a moment.
    const agentStart = onset(recording, 1, 0, 0);
    // The user speaks from the start of the file; the agent answers after the turn (≥ 0.3 s of
    // silence after the last voiced frame), never over the user.
    expect(userStart).toBeLessThan(0.2);
    expect(agentStart).toBeGreaterThan(1.0);
    const agentSamples = channel(
      recording,
      1,
      Math.round(agentStart * 24_000),
      recording.samplesPerChannel,
    );
    // 0.4 s of reply audio, all of it on the right channel.
    expect(agentSamples.filter((s) => s !== 0).length).toBeGreaterThan(0.38 * 24_000);
    expect(
      rms(
        channel(
          recording,
          0,
          Math.round((agentStart + 0.05) * 24_000),
          recording.samplesPerChannel,
        ),
      ),
    ).toBe(0);
  });

  it('--json: one event per line, each with its time on the audio timeline', async () => {
    const output = join(dir, 'json.wav');
    const run = await finish(start(['--input', speech, '--output', output, '--json']));
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; t: number; [key: string]: unknown });
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      'session_started',
      'user_started_speaking',
      'user_stopped_speaking',
      'user_speech_committed',
      'function_calls_collected',
      'function_calls_finished',
      'agent_started_speaking',
      'agent_stopped_speaking',
      'agent_speech_committed',
      'metrics_collected',
      'session_ended',
    ]);
    const times = events.map((e) => e.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    // Event times are when the agent saw things: late on a loaded machine, never early.
    expect(byType.user_started_speaking!.t).toBeLessThan(byType.user_stopped_speaking!.t);
    expect(byType.user_stopped_speaking!.t).toBeGreaterThanOrEqual(0.8);
    expect(byType.user_speech_committed).toMatchObject({ text: 'Hello, agent.' });
    const metrics = byType.metrics_collected!;
    expect(metrics).toMatchObject({ llmTtftMs: 42, ttsTtfbMs: 17 });
    expect(metrics.userSpeechEnded).toBe(byType.user_stopped_speaking!.t);
    expect(metrics.firstAudioPlayed).toBe(byType.agent_started_speaking!.t);
    // The recording agrees with the timeline: the agent's audio starts when the event says.
    const recording = await readWavFile(output);
    expect(onset(recording, 1)).toBeCloseTo(byType.agent_started_speaking!.t, 1);
    expect(byType.session_ended).toMatchObject({ recording: output });
  });

  it('Ctrl-C ends the run early and still writes the recording', async () => {
    const output = join(dir, 'interrupted.wav');
    const child = start(['--input', speech, '--output', output, '--json']);
    const running = finish(child);
    // Once the user is heard: the run is under way (or over, and the assertions below say so).
    const heard = new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('user_started_speaking')) resolve();
      });
    });
    await Promise.race([heard, running]);
    child.kill('SIGINT');
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"reason":"interrupted (Ctrl-C)"');
    const recording = await readWavFile(output);
    expect(recording.channels).toBe(2);
    expect(recording.samplesPerChannel).toBeGreaterThan(0);
  });

  it('says what to fix: a missing input, a file that is not a WAV, a failing entry', async () => {
    const missing = await finish(
      start(['--input', join(dir, 'nope.wav'), '--output', join(dir, 'x.wav')]),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--input .*nope\.wav: no such file/);

    const notWav = join(dir, 'notes.wav');
    await writeFile(notWav, 'not audio at all');
    const bad = await finish(start(['--input', notWav, '--output', join(dir, 'x.wav')]));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/notes\.wav: not a WAV file/);

    const output = join(dir, 'failed.wav');
    const failed = await finish(
      start(['--input', speech, '--output', output], { CONSOLE_AGENT_MODE: 'throw' }),
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("the agent's entry failed: entry exploded");
    expect((await readWavFile(output)).channels).toBe(2);
  });

  it('runs a TypeScript agent through tsx', async () => {
    const tsAgent = join(dir, 'agent.ts');
    await writeFile(
      tsAgent,
      `import agent from ${JSON.stringify(agent)};\nexport default agent;\n`,
    );
    // The .mjs fixture calls runApp with its own path; a .ts agent importing it runs the same.
    const output = join(dir, 'ts.wav');
    const child = spawn(
      process.execPath,
      [tsxCli, tsAgent, 'console', '--input', speech, '--output', output],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const run = await finish(child);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('agent: It is sunny in Paris.');
  });
});
