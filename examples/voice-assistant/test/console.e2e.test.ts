// The example in console mode, as a user runs it, on the committed recordings
// and against the demo's scripted stand-ins: the stereo recording shows the
// agent answering after each request and never over the user, and the JSON
// events tell the same conversation in order.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { audio } from '@agents/core';
import { scaledMs } from '@agents/testing';
import { afterAll, expect, it } from 'vitest';
import { GREETING, type SpokenRequest, spokenRequests, startStandIns } from '../stand-ins.js';
import { overlap, type Region, readRecording, round } from './recording.js';

/** Starting the agent (tsx, the models) takes seconds; the conversation runs in real time. */
const TEST_TIMEOUT_MS = scaledMs(120_000);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const tsx = here('../node_modules/.bin/tsx');
/** Length of a committed recording, in seconds. */
function seconds(name: string): number {
  const frame = audio.decodeWav(readFileSync(here(`../fixtures/${name}`)));
  return frame.samplesPerChannel / frame.sampleRate;
}

const dir = mkdtempSync(join(tmpdir(), 'voice-assistant-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ConsoleEvent {
  type: string;
  [key: string]: unknown;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` to its end, killed (and reported) if it outlives the deadline. */
function runToEnd(args: string[], env: Record<string, string>, deadlineMs: number): Promise<Run> {
  const child = spawn(tsx, args, {
    cwd: here('..'),
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
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
    const timer = setTimeout(() => {
      stderr += `\n[test] still running after ${deadlineMs} ms: killed`;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function parseEvents(stdout: string): ConsoleEvent[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as ConsoleEvent);
}

/** Runs agent.ts in console mode on a committed recording against fresh stand-ins. */
async function converse(input: string) {
  const output = join(dir, input.replace(/\.wav$/, '-out.wav'));
  const standIns = await startStandIns({
    services: ['deepgram', 'openai', 'elevenlabs'],
    input,
    latency: 'none',
  });
  try {
    const run = await runToEnd(
      [
        'agent.ts',
        'console',
        '--input',
        here(`../fixtures/${input}`),
        '--output',
        output,
        '--json',
      ],
      standIns.env,
      scaledMs(90_000),
    );
    expect(run.code, run.stderr).toBe(0);
    return { events: parseEvents(run.stdout), recording: readRecording(output), run };
  } finally {
    await standIns.close();
  }
}

/**
 * Each request is heard where the recording put it, and the agent speaks once
 * before it (the greeting) and once after each, before the next, never over it.
 */
function checkTurns(requests: SpokenRequest[], user: Region[], agent: Region[], replies: number[]) {
  const where = `user ${round(user)}; agent ${round(agent)}`;
  expect(user.length, where).toBe(requests.length);
  for (const [i, request] of requests.entries()) {
    expect(Math.abs(user[i]!.start - request.start), where).toBeLessThan(0.1);
    expect(Math.abs(user[i]!.end - request.end), where).toBeLessThan(0.1);
  }
  expect(overlap(user, agent), where).toBe(0);
  expect(agent.length, where).toBe(requests.length + 1);
  expect(agent[0]!.end, where).toBeLessThan(user[0]!.start);
  for (const [i, turn] of user.entries()) {
    const answer = agent[i + 1]!;
    expect(answer.start, where).toBeGreaterThan(turn.end);
    const next = user[i + 1];
    if (next) expect(answer.end, where).toBeLessThan(next.start);
    // The recorded reply, whole: its length is the recording's (± a few windows of the energy scan).
    expect(Math.abs(answer.end - answer.start - replies[i]!), where).toBeLessThan(0.1);
  }
}

/** Checks that `expected` occurs in `types` in this order (other events may come between). */
function expectInOrder(types: string[], expected: string[]) {
  let at = 0;
  for (const type of types) if (type === expected[at]) at += 1;
  expect(expected.slice(at), `events: ${types.join(', ')}`).toEqual([]);
}

const TURN = [
  'user_started_speaking',
  'user_stopped_speaking',
  'user_speech_committed',
  'function_calls_collected',
  'function_calls_finished',
  'agent_started_speaking',
  'agent_speech_committed',
];

it(
  'greets, then answers a spoken question with the weather tool, on the right channel',
  async () => {
    const { events, recording } = await converse('weather-request.wav');
    const requests = spokenRequests('weather-request.wav')!;
    checkTurns(requests, recording.user, recording.agent, [seconds('reply-paris.wav')]);

    const types = events.map((e) => e.type);
    expectInOrder(types, ['agent_started_speaking', 'agent_speech_committed', ...TURN]);
    const said = events.filter((e) => e.type === 'user_speech_committed').map((e) => e.text);
    expect(said).toEqual(["What's the weather like in Paris today?"]);
    const committed = events.filter((e) => e.type === 'agent_speech_committed');
    expect(committed.map((e) => [e.text, e.interrupted])).toEqual([
      [GREETING, false],
      ['Sunny in Paris, twenty two degrees.', false],
    ]);
    const calls = events.find((e) => e.type === 'function_calls_collected')?.calls as {
      name: string;
      arguments: string;
    }[];
    expect(calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ['getWeather', { location: 'Paris' }],
    ]);
  },
  TEST_TIMEOUT_MS,
);

it(
  'answers two requests in turn, each after the user stops and before the next',
  async () => {
    const { events, recording } = await converse('two-requests.wav');
    const requests = spokenRequests('two-requests.wav')!;
    checkTurns(requests, recording.user, recording.agent, [
      seconds('reply-paris.wav'),
      seconds('reply-london.wav'),
    ]);

    const types = events.map((e) => e.type);
    expectInOrder(types, ['agent_speech_committed', ...TURN, ...TURN]);
    expect(types).not.toContain('agent_speech_interrupted');
    const answered = events.filter((e) => e.type === 'agent_speech_committed').map((e) => e.text);
    expect(answered).toEqual([
      GREETING,
      'Sunny in Paris, twenty two degrees.',
      'London is cloudy, fourteen degrees.',
    ]);
  },
  TEST_TIMEOUT_MS,
);

it(
  'stops within the interruption delay when the user speaks over it, and commits only what was heard',
  async () => {
    const { events, recording } = await converse('interruption.wav');
    const requests = spokenRequests('interruption.wav')!;
    const { user, agent } = recording;
    const where = `user ${round(user)}; agent ${round(agent)}`;
    expect(user.length, where).toBe(2);
    expect(Math.abs(user[1]!.start - requests[1]!.start), where).toBeLessThan(0.1);

    // The reply was playing when the user spoke again, and the agent cut it once the
    // interruption took effect: after 0.5 s of speech (interruptSpeechDuration), plus
    // the VAD's delay, never the whole sentence. The cut is a pause until the user's
    // words confirm it, or at once if they came first; its time is the agent's own
    // event, not the recording's: where the reply falls silent depends on where its
    // words and pauses happen to be (a busy machine starts it later), and ducking makes
    // it quieter. The Rome reply lasts 6.9 s, so it is still playing 4 s after the
    // request even when a busy machine starts it late.
    const cut = events.find(
      (e) => e.type === 'agent_speech_paused' || e.type === 'agent_speech_interrupted',
    );
    expect(cut, events.map((e) => e.type).join(', ')).toBeDefined();
    const cutAt = Number(cut!.t);
    const heard = `${where}; ${cut!.type} at ${cutAt}`;
    const spokeOver = cutAt - user[1]!.start;
    expect(spokeOver, heard).toBeGreaterThan(0.4);
    expect(spokeOver, heard).toBeLessThan(1.0);
    // The recording agrees: the reply started after the first request and was heard up
    // to the user's speech (at most a pause between its words before it), and nothing
    // of it after the cut's 20 ms fade.
    const rome = agent.find((a) => a.start > user[0]!.end && a.start < user[1]!.start);
    expect(rome, heard).toBeDefined();
    expect(rome!.end, heard).toBeGreaterThan(user[1]!.start - 0.3);
    expect(rome!.end, heard).toBeLessThan(cutAt + 0.06);
    // Apart from that, nobody speaks over anybody: the greeting before, the next answer after.
    const romeOverUser = overlap([rome!], [user[1]!]);
    expect(overlap(user, agent) - romeOverUser, where).toBeLessThan(0.001);
    const london = agent.at(-1)!;
    expect(london.start, where).toBeGreaterThan(user[1]!.end);
    expect(Math.abs(london.end - london.start - seconds('reply-london.wav')), where).toBeLessThan(
      0.1,
    );

    const types = events.map((e) => e.type);
    expectInOrder(types, [
      'agent_speech_committed',
      ...TURN.slice(0, -1),
      'user_started_speaking',
      'agent_speech_committed',
      ...TURN.slice(1),
    ]);
    // The interruption is told while the user is still speaking, before their turn is committed.
    const interrupted = types.indexOf('agent_speech_interrupted');
    const secondTurn = types.indexOf(
      'user_started_speaking',
      types.indexOf('user_speech_committed'),
    );
    expect(interrupted, types.join(', ')).toBeGreaterThan(secondTurn);
    expect(interrupted, types.join(', ')).toBeLessThan(types.lastIndexOf('user_speech_committed'));
    expect(types).not.toContain('agent_false_interruption');
    const committed = events.filter((e) => e.type === 'agent_speech_committed');
    expect(committed.map((e) => e.interrupted)).toEqual([false, true, false]);
    const full =
      'Rome is warm and sunny today, twenty eight degrees, with a light breeze this afternoon and clear skies all evening.';
    const heardText = String(committed[1]?.text);
    expect(heardText.length).toBeGreaterThan(0);
    expect(heardText.length).toBeLessThan(full.length);
    expect(full.startsWith(heardText.replace(/[,.]$/, ''))).toBe(true);
    expect(committed[2]?.text).toBe('London is cloudy, fourteen degrees.');
  },
  TEST_TIMEOUT_MS,
);
