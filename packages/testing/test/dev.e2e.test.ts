// The agent CLI's development commands, run as a user runs them: `node agent.mjs dev`
// (a supervisor that restarts its worker child on file changes), `dev --no-watch`
// and `start`, against the LiveKit stand-in. Each test watches a temporary copy of
// the agent's folder, never the repository.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveKitStandIn, scaledMs } from '../src/index.js';

const SCRIPTED_AGENT = fileURLToPath(
  new URL('./fixtures/agents/scripted-agent.mjs', import.meta.url),
);
const SLOW_STOP_AGENT = fileURLToPath(
  new URL('./fixtures/dev/slow-stop-agent.mjs', import.meta.url),
);
/** Linked into each temporary agent folder so that `@agents/core` resolves from there. */
const NODE_MODULES = fileURLToPath(new URL('../node_modules', import.meta.url));
const RESTARTING = 'files changed: restarting the worker';

let server: LiveKitStandIn;
let scratch: string;
const clis: Cli[] = [];

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'agents-dev-'));
  server = await LiveKitStandIn.start({ availabilityTimeoutMs: 3000 });
});

afterEach(async () => {
  // Whatever a failed test left running: the CLIs, their workers and job processes.
  const leftovers = clis.flatMap((cli) => [cli.pid, ...descendants(cli.pid)]);
  for (const pid of leftovers) kill(pid, 'SIGKILL');
  await until(() => leftovers.every((pid) => !alive(pid)), scaledMs(10_000), 'leftover processes');
  clis.length = 0;
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

/** A CLI process, with its stdout and stderr together as text. */
class Cli {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #output = '';
  readonly #listeners = new Set<() => void>();

  constructor(agent: string, args: string[]) {
    this.process = spawn(process.execPath, [agent, ...args], {
      env: { ...process.env, NO_COLOR: '1', AGENT_MARKERS: join(scratch, 'markers') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer) => {
      this.#output += chunk.toString();
      for (const listener of this.#listeners) listener();
    };
    this.process.stdout!.on('data', append);
    this.process.stderr!.on('data', append);
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.process.pid!;
  }

  get output(): string {
    return this.#output;
  }

  count(text: string): number {
    return this.#output.split(text).length - 1;
  }

  /** Resolves once `text` has appeared `times` times in the output. */
  waitForOutput(text: string, times = 1, timeoutMs = scaledMs(20_000)): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.count(text) < times) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no "${text}" (x${times}) within ${timeoutMs} ms; output:\n${this.#output}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  async exitCode(timeoutMs = scaledMs(20_000)): Promise<number | null> {
    await until(
      () => this.process.exitCode !== null || this.process.signalCode !== null,
      timeoutMs,
      `pid ${this.pid} to exit; output:\n${this.#output}`,
    );
    return (await this.exited).code;
  }
}

function cli(agent: string, args: string[]): Cli {
  const started = new Cli(agent, args);
  clis.push(started);
  return started;
}

function connectionFlags(): string[] {
  // The tests read the logs; vitest sets LOG_LEVEL=silent.
  return [...server.cliFlags, '--log-level', 'info'];
}

/** A temporary agent folder holding a copy of `fixture`, as a user's project would. */
async function agentFolder(fixture: string): Promise<string> {
  const folder = await mkdtemp(join(scratch, 'agent-'));
  await mkdir(join(scratch, 'markers'), { recursive: true });
  await copyFile(fixture, join(folder, 'agent.mjs'));
  await symlink(NODE_MODULES, join(folder, 'node_modules'), 'dir');
  return join(folder, 'agent.mjs');
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Parent pid and state of a process, from /proc (undefined once it is gone). */
function procStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (a container's pid 1 may never reap an orphan). */
function alive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

function children(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => procStat(child)?.ppid === pid && alive(child));
}

function descendants(pid: number): number[] {
  return children(pid).flatMap((child) => [child, ...descendants(child)]);
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** The pid of the supervisor's worker child, once there is exactly one. */
async function workerChildOf(supervisor: Cli): Promise<number> {
  await until(() => children(supervisor.pid).length === 1, scaledMs(10_000), 'the worker child');
  return children(supervisor.pid)[0]!;
}

/** Creates a room (which dispatches a room job) and returns the job's id once offered. */
async function roomJob(room: string): Promise<string> {
  server.createRoom(room);
  const job = await server.waitForJob((j) => j.room === room, { timeoutMs: scaledMs(20_000) });
  return job.id;
}

/** The marker a job's entry wrote (room, pid), once it exists. */
async function entryReached(jobId: string): Promise<{ room: string; pid: number }> {
  const path = join(scratch, 'markers', jobId);
  await until(() => existsSync(path), scaledMs(20_000), `the entry of job ${jobId}`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

function markerPid(jobId: string): number {
  return JSON.parse(readFileSync(join(scratch, 'markers', jobId), 'utf8')).pid;
}

async function holdPort(): Promise<{ holder: Server; port: number }> {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, 'localhost', resolve));
  const address = holder.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { holder, port: address.port };
}

describe('dev: the supervisor and its worker child', () => {
  it(
    'restarts the worker when a file changes and brings the running job back',
    async () => {
      const agent = await agentFolder(SCRIPTED_AGENT);
      const dev = cli(agent, ['dev', ...connectionFlags()]);
      const [first] = await server.waitForWorkers(1, { timeoutMs: scaledMs(20_000) });
      const jobId = await roomJob('reload-room');
      const before = await entryReached(jobId);

      await writeFile(join(agent, '..', 'changed.ts'), '// changed\n');
      await dev.waitForOutput(RESTARTING);
      // Written while the worker restarts, as an agent writes its data and builds run: none
      // of them is the agent's code, so none may cause another restart.
      await writeFile(join(agent, '..', 'data.json'), '{}');
      await mkdir(join(agent, '..', 'dist'));
      await writeFile(join(agent, '..', 'dist', 'agent.js'), '');
      await mkdir(join(agent, '..', '.cache'));
      await writeFile(join(agent, '..', '.cache', 'x.ts'), '');

      await server.waitUntil(
        () => server.workers().length === 1 && server.workers()[0]!.id !== first!.id,
        { timeoutMs: scaledMs(20_000), what: 'the new worker alone' },
      );
      // The new worker started the same job again, in a process of its own.
      await until(() => markerPid(jobId) !== before.pid, scaledMs(20_000), 'the job to restart');
      expect((await entryReached(jobId)).room).toBe('reload-room');
      await until(() => !alive(before.pid), scaledMs(10_000), 'the old job process to exit');
      expect(dev.count(RESTARTING)).toBe(1);

      dev.process.kill('SIGINT');
      expect(await dev.exitCode()).toBe(0);
    },
    scaledMs(90_000),
  );

  it(
    'gives exactly one worker when a file changes again while the old worker stops',
    async () => {
      const agent = await agentFolder(SLOW_STOP_AGENT);
      const dev = cli(agent, ['dev', ...connectionFlags()]);
      await server.waitForWorkers(1, { timeoutMs: scaledMs(20_000) });
      const jobId = await roomJob('slow-stop-room');
      const before = await entryReached(jobId);

      await writeFile(join(agent, '..', 'first.ts'), '// one\n');
      // The restart has begun: once the old worker says it is closing, it takes about 3 s to
      // stop (its job's shutdown), and the second change lands in that time.
      await dev.waitForOutput(RESTARTING);
      await dev.waitForOutput('closing');
      await writeFile(join(agent, '..', 'second.ts'), '// two\n');
      await dev.waitForOutput(RESTARTING, 2);

      // The job came back in the last worker, and that worker is the only one.
      await until(() => markerPid(jobId) !== before.pid, scaledMs(30_000), 'the job to restart');
      await server.waitForWorkers(1, { timeoutMs: scaledMs(20_000) });
      expect(server.workers()).toHaveLength(1);
      expect(children(dev.pid)).toHaveLength(1);

      dev.process.kill('SIGTERM');
      expect(await dev.exitCode(scaledMs(30_000))).toBe(0);
    },
    scaledMs(120_000),
  );

  it(
    'says when its worker dies, and starts it again on the next file change',
    async () => {
      const agent = await agentFolder(SCRIPTED_AGENT);
      const dev = cli(agent, ['dev', ...connectionFlags()]);
      await server.waitForWorkers(1, { timeoutMs: scaledMs(20_000) });
      kill(await workerChildOf(dev), 'SIGKILL');

      await dev.waitForOutput(
        'the worker exited (signal SIGKILL); waiting for a file change to start it again',
      );
      await server.waitForWorkers(0, { timeoutMs: scaledMs(20_000) });
      await writeFile(join(agent, '..', 'fixed.ts'), '// fixed\n');
      await server.waitForWorkers(1, { timeoutMs: scaledMs(20_000) });

      dev.process.kill('SIGTERM');
      expect(await dev.exitCode()).toBe(0);
    },
    scaledMs(90_000),
  );

  it(
    'leaves with its worker status on a signal',
    async () => {
      const { holder, port } = await holdPort();
      try {
        const agent = await agentFolder(SCRIPTED_AGENT);
        const dev = cli(agent, ['dev', ...connectionFlags(), '--health-port', String(port)]);
        await dev.waitForOutput(`the health server cannot listen on localhost:${port}`);
        await dev.waitForOutput('the worker exited (code 1); waiting for a file change');
        dev.process.kill('SIGTERM');
        expect(await dev.exitCode()).toBe(1);
      } finally {
        holder.close();
      }
    },
    scaledMs(60_000),
  );

  it(
    'takes its worker and the jobs down when it is killed',
    async () => {
      const agent = await agentFolder(SCRIPTED_AGENT);
      const dev = cli(agent, ['dev', ...connectionFlags()]);
      await server.waitForWorkers(1, { timeoutMs: scaledMs(20_000) });
      const worker = await workerChildOf(dev);
      const job = await entryReached(await roomJob('orphan-room'));

      kill(dev.pid, 'SIGKILL');
      await until(() => !alive(worker), scaledMs(20_000), 'the orphaned worker to exit');
      await until(() => !alive(job.pid), scaledMs(20_000), 'its job process to exit');
      await server.waitForWorkers(0, { timeoutMs: scaledMs(20_000) });
    },
    scaledMs(90_000),
  );

  it(
    'runs two dev workers at once, each with its health server on a free port',
    async () => {
      const one = cli(await agentFolder(SCRIPTED_AGENT), ['dev', ...connectionFlags()]);
      const two = cli(await agentFolder(SCRIPTED_AGENT), ['dev', ...connectionFlags()]);
      await server.waitForWorkers(2, { timeoutMs: scaledMs(30_000) });
      for (const dev of [one, two]) {
        await dev.waitForOutput('health server');
        const url = /url: "(http:\/\/[^"]+)"/.exec(
          dev.output.slice(dev.output.indexOf('health server')),
        )?.[1];
        expect(url).toBeDefined();
        expect((await fetch(url!)).status).toBe(200);
      }
      for (const dev of [one, two]) dev.process.kill('SIGINT');
      expect([await one.exitCode(), await two.exitCode()]).toEqual([0, 0]);
    },
    scaledMs(90_000),
  );
});

describe('signals and flags', () => {
  it(
    'exits with 143 on a second SIGTERM and 130 on a second SIGINT, while jobs are stopping',
    async () => {
      const agent = await agentFolder(SLOW_STOP_AGENT);
      // Unsupervised (`--no-watch`) and supervised (`dev`) take different paths.
      for (const [args, signal, code] of [
        [['dev', '--no-watch'], 'SIGTERM', 143],
        [['dev'], 'SIGINT', 130],
      ] as const) {
        const dev = cli(agent, [...args, ...connectionFlags()]);
        await server.waitForWorkers(1, { timeoutMs: scaledMs(20_000) });
        await entryReached(await roomJob(`second-signal-${signal}`));
        dev.process.kill(signal);
        await dev.waitForOutput('closing');
        dev.process.kill(signal);
        expect(await dev.exitCode()).toBe(code);
        await server.waitForWorkers(0, { timeoutMs: scaledMs(20_000) });
      }
    },
    scaledMs(120_000),
  );

  it(
    'fails with one clear line when the health port is in use',
    async () => {
      const { holder, port } = await holdPort();
      try {
        const agent = await agentFolder(SCRIPTED_AGENT);
        const start = cli(agent, ['start', ...connectionFlags(), '--health-port', String(port)]);
        expect(await start.exitCode()).toBe(1);
        expect(start.output).toContain(
          `agent.mjs: the health server cannot listen on localhost:${port}: the port is in use ` +
            '(another worker?); pass --health-port <port>, or 0 for any free port',
        );
      } finally {
        holder.close();
      }
    },
    scaledMs(60_000),
  );

  it(
    'names the flag when --health-port or --drain-timeout is wrong',
    async () => {
      const agent = await agentFolder(SCRIPTED_AGENT);
      const port = cli(agent, ['dev', '--health-port', '70000']);
      const drain = cli(agent, ['start', '--drain-timeout', 'soon']);
      expect([await port.exitCode(), await drain.exitCode()]).toEqual([1, 1]);
      expect(port.output).toContain(
        "error: option '--health-port <port>' argument '70000' is invalid. expected a port number from 0 to 65535",
      );
      expect(drain.output).toContain(
        "error: option '--drain-timeout <ms>' argument 'soon' is invalid. expected a whole number of milliseconds",
      );
    },
    scaledMs(30_000),
  );
});
