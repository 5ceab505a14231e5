// `agent.js console --json` with the real VoiceAssistant: the agent's words
// come out as timed `agent_transcript` events whose times are where the
// agent's speech is in the recording.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { audio } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scaledMs } from '../../src/index.js';

const agent = fileURLToPath(new URL('../fixtures/agents/console-voice-agent.mjs', import.meta.url));
const speech = fileURLToPath(
  new URL('../../../core/test/fixtures/speech-hello-16khz-mono.wav', import.meta.url),
);
const REPLY = 'Hello! How can I help?';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-transcript-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runConsole(args: string[]) {
  const child = spawn(process.execPath, [agent, 'console', '--input', speech, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), scaledMs(30_000));
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout };
}

/** First and last non-silent sample of the recording's right (agent) channel, in seconds. */
async function agentSpeech(path: string): Promise<{ start: number; end: number }> {
  const recording = await audio.readWavFile(path);
  let first = -1;
  let last = -1;
  for (let i = 0; i < recording.samplesPerChannel; i++) {
    if (recording.data[2 * i + 1] === 0) continue;
    if (first < 0) first = i;
    last = i;
  }
  expect(first, 'the agent never spoke').toBeGreaterThanOrEqual(0);
  return { start: first / recording.sampleRate, end: (last + 1) / recording.sampleRate };
}

/** Whether the agent channel has any sound between `from` and `to` seconds. */
function agentSoundIn(recording: AudioFrame, from: number, to: number): boolean {
  const last = Math.min(Math.floor(to * recording.sampleRate), recording.samplesPerChannel);
  for (let i = Math.max(0, Math.ceil(from * recording.sampleRate)); i < last; i++) {
    if (recording.data[2 * i + 1] !== 0) return true;
  }
  return false;
}

interface Event {
  type: string;
  t: number;
  end?: number;
  start?: number;
  text?: string;
  final?: boolean;
}

it('--json: the agent words as timed events, where the recording has the agent speaking', async () => {
  const output = join(dir, 'json.wav');
  const run = await runConsole(['--output', output, '--json']);
  expect(run.code).toBe(0);
  const events = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Event);
  const words = events.filter((e) => e.type === 'agent_transcript' && !e.final);
  const finals = events.filter((e) => e.type === 'agent_transcript' && e.final);
  expect(words.map((w) => w.text)).toEqual(REPLY.split(' '));
  expect(finals).toHaveLength(1);
  expect(finals[0]).toMatchObject({ text: REPLY, final: true });
  // Words follow each other on the timeline, each starting where the one before ended. A
  // starved machine may leave a gap (the output ran dry and played silence); then the
  // recording is silent there too: the times are where the audio is.
  const recording = await audio.readWavFile(output);
  for (const [i, word] of words.entries()) {
    expect(word.end!).toBeGreaterThan(word.t);
    if (i === 0) continue;
    const gap = word.t - words[i - 1]!.end!;
    expect(gap).toBeGreaterThan(-0.005);
    if (gap > 0.005) {
      const where = `between "${words[i - 1]!.text}" and "${word.text}"`;
      expect(agentSoundIn(recording, words[i - 1]!.end! + 0.01, word.t - 0.01), where).toBe(false);
    }
  }
  // The final comes after the words, before the speech is committed.
  const types = events.map((e) => e.type);
  expect(types.indexOf('agent_speech_committed')).toBeGreaterThan(events.indexOf(finals[0]!));

  // Times are places in the recording: the first word starts with the agent's
  // audio, the segment ends with it (within two 10 ms playout ticks).
  const spoken = await agentSpeech(output);
  expect(Math.abs(words[0]!.t - spoken.start)).toBeLessThan(0.025);
  expect(finals[0]!.start).toBeCloseTo(words[0]!.t, 3);
  expect(Math.abs(finals[0]!.t - spoken.end)).toBeLessThan(0.025);
});

it('prints the agent line once, as the words are heard', async () => {
  const run = await runConsole(['--output', join(dir, 'plain.wav')]);
  expect(run.code).toBe(0);
  const lines = run.stdout.split('\n').map((line) => line.replace(/^\[\s*[\d.]+s\] /, ''));
  expect(lines.filter((line) => line.startsWith('agent:'))).toEqual([`agent: ${REPLY}`]);
});
