// The example as a worker in a real media room, offline: the LiveKit stand-in
// hosts the room, the demo's stand-ins play Deepgram, OpenAI and ElevenLabs,
// and a SimulatedUser (rtc-node) joins, asks about the weather, hears the
// answer, interrupts it, and hangs up. The job ends and the worker leaves on
// Ctrl-C with nothing left running.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LiveKitStandIn, SimulatedUser, scaledMs } from '@agents/testing';
import { afterEach, expect, it } from 'vitest';
import { GREETING, type StandIns, spokenRequests, startStandIns } from '../stand-ins.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const ROOM = 'weather';
const USER = 'caller';
/** Starting the worker (tsx, Silero) takes seconds; the conversation runs in real time. */
const WAIT_MS = scaledMs(60_000);
/** Loudness of the agent's recorded voice, well above the silence between replies. */
const SPEECH_RMS = 500;
/** `JobStatus` of @livekit/protocol, which the example does not depend on. */
const JS_RUNNING = 1;
const JS_SUCCESS = 2;
const JS_FAILED = 3;
/** `WorkerStatus.WS_AVAILABLE`. */
const WS_AVAILABLE = 0;

let server: LiveKitStandIn | undefined;
let services: StandIns | undefined;
let user: SimulatedUser | undefined;
let worker: ChildProcess | undefined;

afterEach(async () => {
  await user?.leave();
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await server?.close();
  await services?.close();
});

/** The second request of interruption.wav ("Actually what about London?"), with margins, in seconds. */
function londonRequest(): { fromSec: number; toSec: number } {
  const second = spokenRequests('interruption.wav')?.[1];
  if (!second) throw new Error('fixtures/speech.json has no second request for interruption.wav');
  return { fromSec: second.start - 0.2, toSec: second.end + 0.3 };
}

/** Every process under `pid` (from /proc), so the test can check none outlives the worker. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone while we looked.
    }
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const child of children.get(p) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

it(
  'answers a user in a media room, is interrupted, and ends the job when the user leaves',
  async () => {
    // On a busy machine the worker may be slow to answer the offer: not what this test is about.
    // (In dev it reports a load of at most 0.5, so a busy machine still gets the job.)
    server = await LiveKitStandIn.start({ availabilityTimeoutMs: scaledMs(15_000) });
    services = await startStandIns({
      services: ['deepgram', 'openai', 'elevenlabs'],
      input: here('../fixtures/weather-request.wav'),
      latency: 'none',
    });
    // The barge-in is the second request of the interruption recording.
    services.deepgram?.scriptTranscripts('Actually what about London?');
    // Node itself with tsx's loader, not the tsx command: that one kills its child when the
    // child has not acknowledged a relayed signal within 30 ms, which a busy machine can miss.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', here('../agent.ts'), 'dev', '--no-watch'],
      {
        cwd: here('..'),
        env: {
          ...process.env,
          ...services.env,
          LIVEKIT_URL: server.url,
          LIVEKIT_API_KEY: server.apiKey,
          LIVEKIT_API_SECRET: server.apiSecret,
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    worker = child;
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    let failure: unknown;
    try {
      // As a person does: the worker is up, the user joins, the room's creation dispatches the job.
      await server.waitForWorkers(1, { timeoutMs: WAIT_MS });
      // The worker reports itself full until a job process is warm (Silero loaded), and a room's
      // job is offered once, when the room is created: the user joins once the worker is available.
      await server.waitUntil(
        () => server!.workers().find((w) => w.status === WS_AVAILABLE) ?? undefined,
        { timeoutMs: WAIT_MS },
      );
      user = await SimulatedUser.join(server, ROOM, { identity: USER });
      const job = await server.waitForJob(
        (j) => j.room === ROOM && (j.status === JS_RUNNING || j.phase !== 'offering'),
        { timeoutMs: WAIT_MS },
      );
      expect({ phase: job.phase, reason: job.reason }).toEqual({
        phase: 'assigned',
        reason: undefined,
      });
      expect(server.jobs().filter((j) => j.room === ROOM)).toHaveLength(1);
      const agent = job.agent?.identity ?? '';

      // The greeting, heard and transcribed, before the user speaks.
      const greeting = await user.waitForAudio({ minRms: SPEECH_RMS, timeoutMs: WAIT_MS });
      await user.waitForTranscription((t) => t.final && t.text === GREETING, {
        timeoutMs: WAIT_MS,
        what: 'the greeting’s final transcription',
      });
      await user.waitForSilence({ maxRms: SPEECH_RMS, since: greeting.at, timeoutMs: WAIT_MS });
      expect(greeting.identity).toBe(agent);

      // The question, transcribed by the Deepgram stand-in and published by the agent for the user.
      const asked = performance.now();
      await user.speak(here('../fixtures/weather-request.wav'));
      const heardUser = await user.waitForTranscription(
        (t) => t.participantIdentity === USER && t.final,
        { timeoutMs: WAIT_MS, what: 'the user’s final transcription' },
      );
      expect(heardUser.text).toBe("What's the weather like in Paris today?");

      // The answer starts; the user talks over it and the agent stops.
      const answer = await user.waitForAudio({
        minRms: SPEECH_RMS,
        since: asked,
        timeoutMs: WAIT_MS,
      });
      expect(answer.identity).toBe(agent);
      const bargeIn = performance.now();
      await user.speak(here('../fixtures/interruption.wav'), londonRequest());
      const stopped = await user.waitForSilence({
        maxRms: SPEECH_RMS,
        since: answer.at,
        forMs: 300,
        timeoutMs: WAIT_MS,
      });
      // The Paris answer is 2.2 s long; what played of it ended within the barge-in.
      const parisHeard = user
        .heard()
        .filter((b) => b.at >= answer.at && b.at <= stopped && b.rms >= SPEECH_RMS);
      expect(parisHeard.length * 10).toBeLessThan(2240);
      expect(stopped).toBeGreaterThan(bargeIn);

      // Then it answers the new question.
      const london = await user.waitForTranscription(
        (t) => t.participantIdentity === agent && t.final && /London/.test(t.text),
        { timeoutMs: WAIT_MS, what: 'the agent’s answer about London' },
      );
      expect(london.text).toBe('London is cloudy, fourteen degrees.');
      expect(user.finalTexts(USER)).toEqual([
        "What's the weather like in Paris today?",
        'Actually what about London?',
      ]);

      // Hanging up ends the job.
      await user.leave();
      // The job is over on the server, as a success: the worker reports it before the agent
      // leaves the room (a real server takes the agent leaving first for a failure).
      const ended = await server.waitForJob(
        (j) => j.id === job.id && (j.status === JS_SUCCESS || j.status === JS_FAILED),
        { timeoutMs: WAIT_MS },
      );
      expect(ended.agent?.identity).toBe(agent);
      expect({ status: ended.status, error: ended.error }, "the job's end on the server").toEqual({
        status: JS_SUCCESS,
        error: '',
      });
    } catch (error) {
      failure = error;
    }
    const running = child.pid === undefined ? [] : descendants(child.pid);
    child.kill('SIGINT');
    const code = await exited;
    // A failure above comes first; the worker's log, whole now that it exited, says why.
    if (failure) {
      if (failure instanceof Error)
        failure.message += `\nthe worker's log:\n${output.slice(-8000)}`;
      throw failure;
    }
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(running.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    expect(output).toMatch(/worker closed/);
  },
  scaledMs(180_000),
);
