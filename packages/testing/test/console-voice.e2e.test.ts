// `agent.js console` with the real VoiceAssistant (scripted fakes for the
// models): the printed conversation, the JSON events on the audio timeline,
// and the stereo recording with the agent's reply on the right after the user.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { audio } from '@agents/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledMs } from '../src/index.js';

const agent = fileURLToPath(new URL('./fixtures/agents/console-voice-agent.mjs', import.meta.url));
const speech = fileURLToPath(
  new URL('../../core/test/fixtures/speech-hello-16khz-mono.wav', import.meta.url),
);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-voice-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runConsole(args: string[]) {
  const child = spawn(process.execPath, [agent, 'console', '--input', speech, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), scaledMs(30_000));
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe('console with the VoiceAssistant', () => {
  it('answers the turn: printed lines, latency table and the reply on the right channel', async () => {
    const output = join(dir, 'plain.wav');
    const run = await runConsole(['--output', output]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = run.stdout.split('\n').map((line) => line.replace(/^\[\s*[\d.]+s\] /, ''));
    expect(text).toContain('user: Hello, agent.');
    expect(text).toContain('agent: Hello! How can I help?');
    expect(text.indexOf('agent: Hello! How can I help?')).toBeGreaterThan(
      text.indexOf('user: Hello, agent.'),
    );
    expect(run.stdout).toMatch(/turn +transcript +end of turn +LLM TTFT +TTS TTFB +end-to-end\n1 /);

    const recording = await audio.readWavFile(output);
    expect([recording.sampleRate, recording.channels]).toEqual([24_000, 2]);
    const right = (i: number) => recording.data[2 * i + 1]!;
    let firstAgent = -1;
    for (let i = 0; i < recording.samplesPerChannel; i++) {
      if (right(i) !== 0) {
        firstAgent = i;
        break;
      }
    }
    // The reply starts after the end of the user's speech (1.0 s) plus the endpointing delay.
    expect(firstAgent / 24_000).toBeGreaterThan(1.4);
    let agentSamples = 0;
    for (let i = firstAgent; i < recording.samplesPerChannel; i++)
      if (right(i) !== 0) agentSamples++;
    expect(agentSamples / 24_000).toBeGreaterThan(0.7);
  });

  it('--json: the events in order on the audio timeline', async () => {
    const run = await runConsole(['--output', join(dir, 'json.wav'), '--json']);
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; t: number; [key: string]: unknown });
    const types = events.map((e) => e.type);
    for (const type of [
      'session_started',
      'user_started_speaking',
      'user_speech_committed',
      'agent_started_speaking',
      'agent_speech_committed',
      'metrics_collected',
      'session_ended',
    ]) {
      expect(types).toContain(type);
    }
    const at = (type: string) => events.find((e) => e.type === type)!.t;
    // Times are when the pipeline saw things: a loaded machine may see them late, never early.
    expect(at('user_started_speaking')).toBeLessThan(at('user_speech_committed'));
    expect(at('user_speech_committed')).toBeGreaterThanOrEqual(1.4);
    expect(at('agent_started_speaking')).toBeGreaterThanOrEqual(at('user_speech_committed'));
    expect(events.find((e) => e.type === 'agent_speech_committed')).toMatchObject({
      text: 'Hello! How can I help?',
      interrupted: false,
    });
  });
});
