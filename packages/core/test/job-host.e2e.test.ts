// The pool inside a worker process of its own (fixtures/agents/host.mjs), so a
// test can kill that worker, or start it the way a user would: `tsx agent.ts`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  expectAllGone,
  fixture,
  helperPids,
  isAlive,
  killIfAlive,
  SCRIPTED_AGENT,
  waitFor,
} from './job-helpers.js';
import { scaledMs } from './time.js';

// tsx is not a dependency of core; the bench package has it. Until core lists
// it as a devDependency, the TypeScript test runs only where it is installed.
const TSX = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;

interface HostEvent {
  event: string;
  [key: string]: unknown;
}

/** A running host: its stdout parsed into events as they arrive. */
interface Host {
  process: ChildProcess;
  events: HostEvent[];
  /** What the host (and its job processes) wrote to stderr: shown when a wait fails. */
  stderr: string[];
  /** Pids of every job process the host's pool started. */
  childPids(): number[];
  /** The host's first log record with this message, once it has arrived. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  waitForEvent(name: string, timeoutMs?: number): Promise<HostEvent>;
}

const hosts: Host[] = [];
/** Processes the jobs started, killed here should a test fail before they are gone. */
const helpers: number[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'job-host-'));

afterEach(async () => {
  for (const host of hosts.splice(0)) {
    if (host.process.exitCode === null && host.process.signalCode === null) {
      host.process.kill('SIGKILL');
    }
    try {
      await expectAllGone(host.childPids());
    } finally {
      killIfAlive([...host.childPids(), ...helpers.splice(0)]);
    }
  }
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function startHost(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Host {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: HostEvent[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  // Job processes share the host's stdout, and rtc-node writes its own JSON
  // lines there: only lines with an `event` are the host's.
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line);
      if (typeof parsed?.event === 'string') events.push(parsed);
    } catch {
      // not ours
    }
  });
  const host: Host = {
    process: child,
    events,
    stderr,
    childPids: () =>
      events
        .filter((e) => e.event === 'log')
        .map((e) => e.record as Record<string, unknown>)
        .filter((record) => record.msg === 'job process started')
        .map((record) => record.jobPid as number),
    waitForLog: (msg) =>
      waitFor(`host log "${msg}"`, () =>
        events
          .map((e) => e.record as Record<string, unknown> | undefined)
          .find((record) => record?.msg === msg),
      ),
    waitForEvent: (name, timeoutMs = scaledMs(30_000)) =>
      waitFor(`host event ${name}`, () => events.find((e) => e.event === name), timeoutMs).catch(
        (error: Error) => {
          throw new Error(`${error.message}\nhost stderr:\n${stderr.join('')}`);
        },
      ),
  };
  hosts.push(host);
  return host;
}

describe('job processes and their worker', () => {
  it('exit when the worker is SIGKILLed (their IPC channel closes)', async () => {
    const host = startHost(process.execPath, [fixture('host.mjs'), SCRIPTED_AGENT, 'idle']);
    await host.waitForEvent('launched');
    // The job's process and the idle one that replaced it.
    await waitFor('the pool to refill', () => host.childPids().length === 2);
    const pids = host.childPids();
    expect(pids.every(isAlive)).toBe(true);

    host.process.kill('SIGKILL');
    await expectAllGone(pids);
  });

  it('take what the job started with them when the worker is SIGKILLed', async () => {
    const marker = join(scratch, 'helper-stay');
    const args = JSON.stringify({ marker, after: 'stay' });
    const host = startHost(process.execPath, [
      fixture('host.mjs'),
      SCRIPTED_AGENT,
      'spawnHelper',
      args,
    ]);
    const { helperPid, jobPid } = await helperPids(marker);
    helpers.push(helperPid);
    await host.waitForEvent('launched');
    host.process.kill('SIGKILL');
    await expectAllGone([jobPid, helperPid]);
  });

  it('die, with what they started, when the worker is SIGKILLed while their event loop is blocked', async () => {
    const marker = join(scratch, 'helper-busy');
    const args = JSON.stringify({ marker, after: 'busy' });
    const host = startHost(process.execPath, [
      fixture('host.mjs'),
      SCRIPTED_AGENT,
      'spawnHelper',
      args,
    ]);
    const { helperPid, jobPid } = await helperPids(marker);
    helpers.push(helperPid);
    const reaperPid = (await host.waitForLog('job process reaper started')).reaperPid as number;
    host.process.kill('SIGKILL');
    // The IPC channel's close never reaches a blocked loop: the pool's reaper
    // reads EOF on its pipe from the dead worker, kills the group, and exits.
    await expectAllGone([jobPid, helperPid, reaperPid]);
  });

  it('exit when the worker dies of an uncaught error', async () => {
    const host = startHost(process.execPath, [fixture('host.mjs'), SCRIPTED_AGENT, 'idle'], {
      HOST_CRASH: '1',
    });
    await host.waitForEvent('launched');
    await waitFor('the host to crash', () => host.process.exitCode !== null);
    expect(host.process.exitCode).toBe(1);
    expect(host.stderr.join('')).toContain('the worker crashed');
    await expectAllGone(host.childPids());
  });

  it('run a TypeScript agent file when the worker runs under tsx', async () => {
    // The agent file is its own worker, as in `tsx agent.ts start`.
    const host = startHost(TSX, [fixture('ts-agent.ts')]);
    const exited = await host.waitForEvent('job_exited');
    expect(exited).toMatchObject({ jobId: 'job-host', status: 'success' });
    const entryLine = host.events
      .map((e) => e.record as Record<string, unknown> | undefined)
      .find((record) => record?.msg === 'typescript entry ran');
    expect(entryLine).toMatchObject({ greeting: 'hello from TypeScript', jobId: 'job-host' });
    await host.waitForEvent('closed');
  });
});
