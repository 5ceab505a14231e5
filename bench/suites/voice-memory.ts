// Memory of a process running one live conversation (real Silero VAD, zero-latency fakes,
// 48 kHz input through FileIO), against the same process idle, and against the 80 MB idle job
// process figure (BENCHMARKS.md, worker suite). The child runs the built packages, no tsx.
import { fork } from 'node:child_process';
import { fmt, type Row, type Suite } from '../measure.js';

const CHILD = new URL('../agents/conversation-memory.mjs', import.meta.url);
const MB = 1024 * 1024;

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

interface Result {
  coreOnly: Memory;
  idle: Memory;
  running: Memory;
  answers: number;
}

function runChild(seconds: number): Promise<Result> {
  const child = fork(CHILD, [String(seconds)], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, LOG_LEVEL: 'error' },
  });
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error(`conversation-memory child gave no result within ${seconds + 60} s`));
      },
      (seconds + 60) * 1000,
    );
    child.once('message', (message) => {
      clearTimeout(deadline);
      resolve(message as Result);
      // Reaped once it has reported: a native handle left open must not keep it (and this
      // process, which waits for its children) alive.
      reap(child);
    });
    child.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`conversation-memory child exited with ${code} before reporting`));
    });
  });
}

function reap(child: ReturnType<typeof fork>): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
  child.once('exit', () => clearTimeout(kill));
  child.kill('SIGTERM');
}

const mb = (bytes: number) => `${fmt(bytes / MB, 1)} MB`;

export const voiceMemorySuite: Suite = {
  name: 'voice-memory',
  async run(): Promise<Row[]> {
    const seconds = Number(process.env.VOICE_MEMORY_SECONDS ?? 20);
    const { coreOnly, idle, running, answers } = await runChild(seconds);
    const row = (name: keyof Memory): Row => ({
      name: `process ${name}: core imported → + Silero and fakes, idle → one conversation running`,
      result:
        `${mb(coreOnly[name])} → ${mb(idle[name])} → ${mb(running[name])} ` +
        `(conversation +${mb(running[name] - idle[name])})`,
      detail:
        `forked node process (--expose-gc, gc before each sample): @agents/core, plugin-silero ` +
        `and testing imported, Silero loaded; then one conversation, ${seconds} s of looped ` +
        `fixture speech at 48 kHz through FileIO, real Silero VAD, FakeSTT/LLM/TTS ` +
        `(${answers} answers); medians of samples a second apart`,
    });
    return [row('rss'), row('heapUsed'), row('external')];
  },
};
