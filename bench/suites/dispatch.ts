import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiveKitStandIn, type LoggedMessage } from '@agents/testing';
import { WorkerStatus } from '@livekit/protocol';
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';
import { ensurePeerAgent } from './dispatch-peer.js';
import { childrenOf, pause, until } from './worker.js';

const OURS = fileURLToPath(new URL('../agents/latency-agent.mjs', import.meta.url));
const JOBS = Number(process.env.BENCH_DISPATCH_JOBS ?? 20);
const IDLE = 3;

/** Milliseconds from the room's creation to each step, read from the stand-in's message log. */
interface Steps {
  offered: number;
  answered: number;
  assigned: number;
  entry: number;
}

interface Side {
  label: string;
  server: LiveKitStandIn;
  worker: ChildProcess;
  markers: string;
  steps: Steps[];
}

async function startSide(label: string, agent: string): Promise<Side> {
  const server = await LiveKitStandIn.start();
  const markers = await mkdtemp(join(tmpdir(), `agents-bench-dispatch-${label}-`));
  const worker = spawn(process.execPath, [agent, 'start'], {
    env: {
      ...process.env,
      BENCH_MARKERS: markers,
      LOG_LEVEL: 'warn',
      LIVEKIT_URL: server.url,
      LIVEKIT_API_KEY: server.apiKey,
      LIVEKIT_API_SECRET: server.apiSecret,
    },
    stdio: 'ignore',
  });
  // Generous: on a busy machine a worker's start-up (import, pool fill) takes many seconds.
  await server.waitForWorkers(1, { timeoutMs: 90_000 });
  await until(() => childrenOf(worker.pid!).length >= IDLE, 90_000);
  return { label, server, worker, markers, steps: [] };
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

async function dispatchOne(side: Side, room: string): Promise<void> {
  const { server, worker, markers } = side;
  // Right after a refill a worker may report itself too busy (load 0.7 or more) for a job.
  await until(() => {
    const info = server.workers()[0];
    return info?.status === WorkerStatus.WS_AVAILABLE && info.load < 0.7;
  }, 30_000);
  const created = Date.now();
  server.createRoom(room);
  const marker = join(markers, room);
  await until(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '', 10_000);
  const entry = Number(readFileSync(marker, 'utf8'));
  const log = server.messages();
  const offer = frameAt(log, 'to_worker', 'availability', undefined, room);
  const answer = offer && frameAt(log, 'from_worker', 'availability', offer.jobId, room);
  const assignment = offer && frameAt(log, 'to_worker', 'assignment', offer.jobId, room);
  if (!offer || !answer || !assignment)
    throw new Error(`bench: no offer/answer/assignment for ${room}`);
  side.steps.push({
    offered: offer.at - created,
    answered: answer.at - created,
    assigned: assignment.at - created,
    entry: entry - created,
  });
  await until(() => childrenOf(worker.pid!).length >= IDLE, 20_000);
  await pause(300);
}

async function stopSide(side: Side): Promise<void> {
  side.worker.kill('SIGTERM');
  const exited = new Promise((resolve) => side.worker.once('exit', resolve));
  const timer = setTimeout(() => side.worker.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
  await side.server.close();
  await rm(side.markers, { recursive: true, force: true });
}

const p50 = (side: Side, pick: (s: Steps) => number) => median(side.steps.map(pick));

/**
 * Room created → the job's entry running, our worker against the peer's (@livekit/agents 1.x
 * from npm), each on its own LiveKitStandIn with three warm processes, jobs alternating
 * between them, with the time split at the protocol's frames.
 */
async function run(): Promise<Row[]> {
  const peerAgent = ensurePeerAgent();
  const sides = [await startSide('ours', OURS), await startSide('peer', peerAgent)];
  try {
    await pause(2000);
    for (let i = 0; i < JOBS; i++) {
      for (const side of sides) await dispatchOne(side, `dispatch-${side.label}-${i}`);
    }
    const [ours, peer] = sides as [Side, Side];
    const rows: Row[] = [];
    for (const side of sides) {
      const entry = side.steps.map((s) => s.entry);
      rows.push({
        name: `${side.label}: room created → entry running`,
        result: `p50 ${fmt(median(entry), 0)} ms, p95 ${fmt(percentile(entry, 95), 0)} ms`,
        detail:
          `offer sent ${fmt(
            p50(side, (s) => s.offered),
            0,
          )}, answered ${fmt(
            p50(side, (s) => s.answered),
            0,
          )}, ` +
          `assigned ${fmt(
            p50(side, (s) => s.assigned),
            0,
          )}, entry ${fmt(
            p50(side, (s) => s.entry),
            0,
          )} ms (p50s from creation)`,
      });
    }
    const ratios = ours.steps.map((s, i) => s.entry / Math.max(1, peer.steps[i]!.entry));
    rows.push({
      name: 'ours / peer, room created → entry',
      result: `${fmt(median(ratios), 2)}x`,
      detail: `median of ${JOBS} alternating pairs; stand-in timestamps are Date.now() (1 ms steps)`,
    });
    return rows;
  } finally {
    for (const side of sides) await stopSide(side);
  }
}

export const dispatchSuite: Suite = { name: 'dispatch', run };
