import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Agent, isAgent, JobProcess } from '../job/agent.js';
import type { ShutdownCallback, VoiceAssistantLike } from '../job/job-context.js';
import { log } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { Future } from '../utils/future.js';
import type { VoiceAssistantEvents } from '../voice/assistant-types.js';
import { createConsoleIO, type FileIO } from '../voice/io/file-io.js';
import { Timeline } from '../voice/timeline/timeline.js';
import { ConsoleJobContext } from './console-context.js';
import { ConsolePrinter, round } from './console-printer.js';
import { ConversationTracker } from './console-tracker.js';
import { ConsoleAgentTranscript } from './console-transcript.js';

export interface ConsoleRunOptions {
  /** The agent file (its default export is the agent). */
  agentFile: string;
  /** The user's side of the conversation: a WAV file. */
  input: string;
  /** Where the stereo recording goes (user left, agent right). */
  output: string;
  /** Where the timeline picture (SVG) of the conversation goes; none when unset. */
  timeline?: string;
  /** One JSON object per line instead of readable lines. */
  json: boolean;
  /** Longest wait, after the input ends, for the agent to finish (seconds). */
  maxTailSeconds: number;
  /** Aborted by Ctrl-C: the run ends early and still writes the recording. */
  signal: AbortSignal;
  write?: (line: string) => void;
}

/** Bounds of the steps around the agent's own code. */
const IMPORT_TIMEOUT_MS = 60_000;
const SHUTDOWN_CALLBACK_TIMEOUT_MS = 10_000;
const ASSISTANT_CLOSE_TIMEOUT_MS = 6_000;
/** The input starts at the latest this long after the entry was called, assistant or not. */
const INPUT_START_FALLBACK_MS = 5_000;
const EVENT_NAMES: (keyof VoiceAssistantEvents)[] = [
  'user_started_speaking',
  'user_stopped_speaking',
  'agent_started_speaking',
  'agent_stopped_speaking',
  'user_speech_committed',
  'agent_speech_committed',
  'agent_speech_interrupted',
  'agent_speech_paused',
  'agent_false_interruption',
  'function_calls_collected',
  'function_calls_finished',
  'metrics_collected',
  'error',
];

/**
 * `console`: runs the agent's prewarm and entry in this process, with no
 * LiveKit server and no job process, on a JobContext whose voice binding is
 * the input WAV (paced in real time) and a stereo recording. Returns the exit
 * code: 0 once the conversation is over and the recording written (Ctrl-C
 * included), 1 when the agent failed.
 */
export async function runConsole(options: ConsoleRunOptions): Promise<number> {
  checkPaths(options);
  // The transcript reads the binding's clock and playhead, which exist once it is made.
  let binding: FileIO | undefined;
  const timeline = (at: number) => Math.max(0, binding?.timelineSeconds(at) ?? 0);
  const printer = new ConsolePrinter({ json: options.json, timeline, write: options.write });
  const agentTranscript = new ConsoleAgentTranscript({
    printer,
    playhead: () => binding?.output.playedSeconds ?? 0,
    now: () => (binding ? timeline(binding.now()) : 0),
  });
  const io = await createConsoleIO({
    input: options.input,
    output: options.output,
    agentTranscript,
  });
  binding = io;
  const tracker = new ConversationTracker(() => io.now());
  const assistants = new Set<VoiceAssistantLike>();
  const ending = new AbortController();
  const shutdownCallbacks: ShutdownCallback[] = [];
  const stopped = new Future<string>();
  let failure: unknown;

  // The first assistant's conversation is the one drawn: the console has one user.
  const picture = options.timeline === undefined ? undefined : new Timeline();
  const follow = (assistant: VoiceAssistantLike) => {
    if (assistants.has(assistant)) return;
    if (assistants.size === 0) picture?.record(assistant);
    assistants.add(assistant);
    io.input.start();
    for (const name of EVENT_NAMES) {
      assistant.on(name, ((payload: { at?: number }) => {
        tracker.event(name, payload);
        printer.event(name, timeline(payload.at ?? io.now()), payload as never);
      }) as never);
    }
  };

  const agent = await importAgent(options.agentFile);
  const proc = new JobProcess();
  await agent.prewarm?.(proc);
  const ctx = new ConsoleJobContext({
    proc,
    io,
    ending: ending.signal,
    shutdownCallbacks,
    requestShutdown: (reason) => stopped.resolve(reason),
    onAssistantStarted: follow,
  });

  const onSignal = () => stopped.resolve('interrupted (Ctrl-C)');
  options.signal.addEventListener('abort', onSignal, { once: true });
  if (options.signal.aborted) onSignal();
  const fallbackStart = setTimeout(() => io.input.start(), INPUT_START_FALLBACK_MS);
  printer.note(
    'session_started',
    0,
    { input: options.input, duration: round(io.input.duration) },
    `console: ${options.input} (${io.input.duration.toFixed(2)} s) → ${options.output}`,
  );
  Promise.resolve()
    .then(() => agent.entry(ctx))
    .then(
      () => io.input.start(),
      (error: unknown) => {
        failure = error;
        stopped.resolve(`the agent's entry failed: ${errorMessage(error)}`);
      },
    );
  const conversationOver = waitForEnd(io, tracker, assistants, options.maxTailSeconds, stopped);

  let reason: string;
  try {
    reason = await stopped.promise;
  } finally {
    clearTimeout(fallbackStart);
    conversationOver.cancel();
    options.signal.removeEventListener('abort', onSignal);
  }
  const endedAt = timeline(io.now());
  ending.abort(new Error(`the console run is ending: ${reason}`));
  await runShutdown(shutdownCallbacks, reason);
  await closeAssistants(assistants);
  await io.close();
  printer.note(
    'session_ended',
    endedAt,
    {
      reason,
      recording: options.output,
      recordedSeconds: round(io.recorder.length / io.recorder.sampleRate),
    },
    `${reason}; recording (left: user, right: agent) written to ${options.output}`,
  );
  if (picture && options.timeline !== undefined) {
    await writeTimeline(picture, options.timeline, io, options.input, printer, endedAt);
  }
  printer.summary();
  if (failure !== undefined) {
    log().error({ err: failure }, 'the agent failed');
    return 1;
  }
  return 0;
}

/**
 * Resolves `stopped` once the input is done and the conversation has settled
 * (nobody speaking, no reply pending), or `maxTailSeconds` after the input.
 */
function waitForEnd(
  io: FileIO,
  tracker: ConversationTracker,
  assistants: ReadonlySet<VoiceAssistantLike>,
  maxTailSeconds: number,
  stopped: Future<string>,
): { cancel(): void } {
  let poll: NodeJS.Timeout | undefined;
  let tail: NodeJS.Timeout | undefined;
  let cancelled = false;
  void io.input.fileDone.then(() => {
    if (cancelled) return;
    tail = setTimeout(
      () => stopped.resolve(`the agent was still busy ${maxTailSeconds} s after the input ended`),
      maxTailSeconds * 1000,
    );
    poll = setInterval(() => {
      const quiet = io.output.bufferedSamples === 0 && tracker.settled(assistants.size > 0);
      if (quiet) stopped.resolve('the input ended and the agent finished');
    }, 100);
  });
  return {
    cancel() {
      cancelled = true;
      clearTimeout(tail);
      clearInterval(poll);
    },
  };
}

/** Writes the picture; a failure to write is reported, and the run still succeeds. */
async function writeTimeline(
  picture: Timeline,
  path: string,
  io: FileIO,
  input: string,
  printer: ConsolePrinter,
  endedAt: number,
): Promise<void> {
  const origin = io.recorder.origin ?? io.input.startedAt;
  try {
    await writeFile(path, picture.toSVG({ origin, title: `Conversation on ${basename(input)}` }));
    printer.note('timeline_written', endedAt, { timeline: path }, `timeline picture: ${path}`);
  } catch (error) {
    log().error({ err: error }, `could not write the timeline picture to ${path}`);
  }
}

function checkPaths({ input, output, timeline }: ConsoleRunOptions): void {
  if (!existsSync(input)) {
    throw new Error(`--input ${input}: no such file; give a WAV file of the user speaking`);
  }
  if (statSync(input).isDirectory())
    throw new Error(`--input ${input} is a directory, not a WAV file`);
  const dir = dirname(resolve(output));
  if (!existsSync(dir)) {
    throw new Error(`--output ${output}: the directory ${dir} does not exist; create it first`);
  }
  if (extname(output).toLowerCase() !== '.wav') {
    throw new Error(`--output ${output}: the recording is a WAV file; name it *.wav`);
  }
  if (timeline === undefined) return;
  const timelineDir = dirname(resolve(timeline));
  if (!existsSync(timelineDir)) {
    throw new Error(
      `--timeline ${timeline}: the directory ${timelineDir} does not exist; create it first`,
    );
  }
  if (extname(timeline).toLowerCase() !== '.svg') {
    throw new Error(`--timeline ${timeline}: the picture is an SVG file; name it *.svg`);
  }
}

async function importAgent(agentFile: string): Promise<Agent> {
  const imported = import(pathToFileURL(agentFile).href) as Promise<{ default?: unknown }>;
  // An agent file that awaits `cli.runApp()` at its top level is still being
  // evaluated while runApp runs: importing it again would wait forever.
  const module = await withDeadline(
    imported,
    IMPORT_TIMEOUT_MS,
    `importing ${agentFile} did not finish within ${IMPORT_TIMEOUT_MS / 1000} s; ` +
      'if it calls `await cli.runApp(...)` at its top level, drop the `await`',
  );
  if (!isAgent(module.default)) {
    throw new Error(`${agentFile} must \`export default defineAgent({ entry })\``);
  }
  return module.default;
}

async function runShutdown(callbacks: ShutdownCallback[], reason: string): Promise<void> {
  for (const callback of callbacks) {
    try {
      await withDeadline(
        Promise.resolve().then(() => callback(reason)),
        SHUTDOWN_CALLBACK_TIMEOUT_MS,
        'a shutdown callback did not finish',
      );
    } catch (error) {
      log().error({ err: error }, 'a shutdown callback failed');
    }
  }
}

async function closeAssistants(assistants: ReadonlySet<VoiceAssistantLike>): Promise<void> {
  await Promise.all(
    [...assistants].map(async (assistant) => {
      const close = (assistant as { close?: () => Promise<void> }).close;
      if (typeof close !== 'function') return;
      try {
        await withDeadline(close.call(assistant), ASSISTANT_CLOSE_TIMEOUT_MS, 'assistant close');
      } catch (error) {
        log().warn({ err: errorMessage(error) }, 'the assistant did not close cleanly');
      }
    }),
  );
}
