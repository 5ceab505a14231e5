import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiveKitStandIn, type LoggedMessage } from '@agents/testing';
import { WorkerStatus } from '@livekit/protocol';
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';
import { ensureBaselineAgent, ensurePeerAgent } from './dispatch-peer.js';
import { readTraces, type Steps, type Trace, traceSteps } from './dispatch-trace.js';
import { childrenOf, pause, until } from './worker.js';

const OURS = fileURLToPath(new URL('../agents/latency-agent.mjs', import.meta.url));
const TRACE = fileURLToPath(new URL('../agents/dispatch-trace.mjs', import.meta.url));
const JOBS = Number(process.env.BENCH_DISPATCH_JOBS ?? 20);
const IDLE = 3;
/** A copy of an older core build (its folder: package.json, dist) to run as a third side. */
const BASELINE = process.env.BENCH_DISPATCH_BASELINE;

/** Wall clock with sub-millisecond steps, shared by the processes of this machine. */
const now = () => performance.timeOrigin + performance.now();

interface Side {
  label: string;
  server: LiveKitStandIn;
  worker: ChildProcess;
  markers: string;
  traced: boolean;
  steps: Steps[];
}

/** A free TCP port on this host (the peer's options read 0 as "use the default 8081"). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startSide(
  label: string,
  agent: string,
  { args = [], traced = false }: { args?: string[]; traced?: boolean } = {},
): Promise<Side> {
  const server = await LiveKitStandIn.start();
  const markers = await mkdtemp(join(tmpdir(), `agents-bench-dispatch-${label}-`));
  // Each worker's health server on its own free port: both frameworks default to 8081 in
  // `start`, so the second worker of the pair (or any other worker on the machine) died on
  // EADDRINUSE before registering, and the suite waited out its deadline.
  const worker = spawn(
    process.execPath,
    [...(traced ? ['--import', TRACE] : []), agent, 'start', ...args],
    {
      env: {
        ...process.env,
        BENCH_MARKERS: markers,
        BENCH_HEALTH_PORT: String(await freePort()),
        BENCH_LOAD_ZERO: '1',
        LOG_LEVEL: 'warn',
        LIVEKIT_URL: server.url,
        LIVEKIT_API_KEY: server.apiKey,
        LIVEKIT_API_SECRET: server.apiSecret,
      },
      stdio: process.env.BENCH_DISPATCH_VERBOSE ? 'inherit' : ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  worker.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) =>
    worker.once('exit', (code, signal) =>
      reject(new Error(`bench: the ${label} worker exited (${code ?? signal}):\n${stderr}`)),
    ),
  );
  exited.catch(() => {});
  const side: Side = { label, server, worker, markers, traced, steps: [] };
  try {
    // Generous: on a busy machine a worker's start-up (import, pool fill) takes many seconds.
    await Promise.race([server.waitForWorkers(1, { timeoutMs: 90_000 }), exited]);
    await Promise.race([until(() => childrenOf(worker.pid!).length >= IDLE, 90_000), exited]);
  } catch (error) {
    await stopSide(side);
    throw error;
  }
  return side;
}

/** When the frame of `kind` about `room`'s job went by, in `direction`. */
function frameAt(
  messages: LoggedMessage[],
  direction: LoggedMessage['direction'],
  kind: string,
  jobId: string | undefined,
  room: string,
): { at: number; jobId: string } | undefined {
  for (const m of messages) {
    if (m.direction !== direction || m.kind !== kind || m.message === undefined) continue;
    const value = m.message.message.value as {
      job?: { id: string; room?: { name: string } };
      jobId?: string;
    };
    const id = value.job?.id ?? value.jobId;
    if (id !== undefined && (jobId === undefined ? value.job?.room?.name === room : id === jobId)) {
      return { at: m.at, jobId: id };
    }
  }
  return undefined;
}

const failWith = (message: string) => (error: Error) => {
  throw new Error(`bench: ${message}: ${error.message}`);
};

/** CPU time (clock ticks) a process has used so far; 0 once it has gone. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * Waits until the worker has IDLE job processes and they have gone quiet (no CPU used over
 * 400 ms): a process counts as warm once it has imported the agent file, not when it exists.
 * Without this, at load 20 the peer's jobs went to processes still importing its framework.
 */
async function poolSettled(side: Side): Promise<void> {
  const deadline = performance.now() + 60_000;
  let previous = -1;
  for (;;) {
    const children = childrenOf(side.worker.pid!);
    const ticks = children.reduce((sum, pid) => sum + cpuTicks(pid), 0);
    if (children.length >= IDLE && ticks === previous) return;
    if (performance.now() > deadline) {
      throw new Error(`bench: the ${side.label} worker's pool did not settle within 60 s`);
    }
    previous = children.length >= IDLE ? ticks : -1;
    await pause(400);
  }
}

async function dispatchOne(side: Side, room: string): Promise<void> {
  const { server, markers } = side;
  // The workers report load 0 here (BENCH_LOAD_ZERO), so this waits for the pool's refill.
  await until(() => {
    const info = server.workers()[0];
    return info?.status === WorkerStatus.WS_AVAILABLE && info.load < 0.7;
  }, 30_000).catch(failWith(`the ${side.label} worker was not available for ${room}`));
  const created = now();
  server.createRoom(room);
  const marker = join(markers, room);
  await until(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '', 30_000).catch(
    failWith(`the ${side.label} job for ${room} never ran`),
  );
  const entry = Number(readFileSync(marker, 'utf8'));
  const log = server.messages();
  const offer = frameAt(log, 'to_worker', 'availability', undefined, room);
  const answer = offer && frameAt(log, 'from_worker', 'availability', offer.jobId, room);
  const assignment = offer && frameAt(log, 'to_worker', 'assignment', offer.jobId, room);
  if (!offer || !answer || !assignment)
    throw new Error(`bench: no offer/answer/assignment for ${room}`);
  const trace: Trace | undefined = side.traced
    ? JSON.parse(readFileSync(`${marker}.trace`, 'utf8'))
    : undefined;
  side.steps.push({
    jobId: offer.jobId,
    created,
    offered: offer.at - created,
    answered: answer.at - created,
    assigned: assignment.at - created,
    entry: entry - created,
    child: trace,
  });
  await poolSettled(side);
}

async function stopSide(side: Side): Promise<void> {
  const exited = new Promise((resolve) => {
    if (side.worker.exitCode !== null || side.worker.signalCode !== null) resolve(undefined);
    else side.worker.once('exit', resolve);
  });
  side.worker.kill('SIGTERM');
  const timer = setTimeout(() => side.worker.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  await side.server.close();
  await rm(side.markers, { recursive: true, force: true });
}

const ms = (values: number[]) =>
  `p50 ${fmt(median(values), 1)} ms, p95 ${fmt(percentile(values, 95), 1)} ms`;

function entryRow(side: Side): Row {
  const p50 = (pick: (s: Steps) => number) => fmt(median(side.steps.map(pick)), 0);
  return {
    name: `${side.label}: room created → entry running`,
    result: ms(side.steps.map((s) => s.entry)),
    detail:
      `p50s from creation (stand-in frames, 1 ms steps): offer sent ${p50((s) => s.offered)}, ` +
      `answered ${p50((s) => s.answered)}, assigned ${p50((s) => s.assigned)}, ` +
      `entry ${p50((s) => s.entry)} ms`,
  };
}

function ratioRow(a: Side, b: Side): Row {
  const ratios = a.steps.map((s, i) => s.entry / Math.max(0.1, b.steps[i]!.entry));
  return {
    name: `${a.label} / ${b.label}, room created → entry`,
    result: `${fmt(median(ratios), 2)}x`,
    detail: `median of ${ratios.length} alternating pairs`,
  };
}

/** Our worker's own steps, from the trace its preload wrote (see agents/dispatch-trace.mjs). */
function breakdownRows(side: Side): Row[] {
  const traces = readTraces(side.markers);
  const steps = side.steps.map((s) => traceSteps(s, traces)).filter((s) => s !== undefined);
  if (steps.length === 0) return [];
  return Object.keys(steps[0]!).map((name) => ({
    name: `${side.label}: ${name}`,
    result: ms(steps.map((s) => s[name]!)),
    detail: `per step, ${steps.length} jobs; high-resolution clock shared by the processes`,
  }));
}

/**
 * Room created → the job's entry running, our worker against the peer's (@livekit/agents 1.x
 * from npm) and, with BENCH_DISPATCH_BASELINE, an older build of ours; each on its own
 * LiveKitStandIn with three warm processes, jobs alternating between them, with the time split
 * at the protocol's frames, and our side's split further by a preloaded tracer.
 */
async function run(): Promise<Row[]> {
  const peerAgent = ensurePeerAgent();
  const sides: Side[] = [];
  try {
    sides.push(await startSide('ours', OURS, { args: ['--health-port', '0'], traced: true }));
    sides.push(await startSide('peer', peerAgent));
    if (BASELINE) {
      const before = ensureBaselineAgent(BASELINE, OURS);
      sides.push(
        await startSide('ours-before', before, { args: ['--health-port', '0'], traced: true }),
      );
    }
    for (const side of sides) await poolSettled(side);
    for (let i = 0; i < JOBS; i++) {
      // Alternate which side goes first, so neither always follows the other's refill.
      const order = i % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) await dispatchOne(side, `dispatch-${side.label}-${i}`);
    }
    await pause(500); // the tracer writes its notes 100 ms after the last one
    const [ours, peer, before] = sides as [Side, Side, Side | undefined];
    return [
      ...sides.map(entryRow),
      ratioRow(ours, peer),
      ...(before ? [ratioRow(before, peer), ratioRow(ours, before)] : []),
      ...sides.filter((s) => s.traced).flatMap(breakdownRows),
    ];
  } finally {
    for (const side of sides) await stopSide(side);
  }
}

export const dispatchSuite: Suite = { name: 'dispatch', run };
