import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiveKitStandIn } from '@agents/testing';
import { WorkerStatus } from '@livekit/protocol';
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';

const AGENT = fileURLToPath(new URL('../agents/latency-agent.mjs', import.meta.url));
const JOBS = 30;
const IDLE = 3;

/** Resident memory of a process, from /proc (Linux), in MB. */
function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** The job processes of a worker: its node children (not the `sh` reaper). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        return (
          command === 'node' && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('bench: timed out');
    await pause(5);
  }
}

/**
 * A worker started through the agent CLI (`start`, warm pool of 3) against
 * the stand-in server: time from the room's creation, which dispatches the
 * job, to the first line of the job's entry; and memory of the worker and of
 * its idle job processes.
 */
async function run(): Promise<Row[]> {
  const server = await LiveKitStandIn.start();
  const markers = await mkdtemp(join(tmpdir(), 'agents-bench-worker-'));
  const worker = spawn(process.execPath, [AGENT, 'start', ...server.cliFlags], {
    env: { ...process.env, BENCH_MARKERS: markers, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  try {
    await server.waitForWorkers(1, { timeoutMs: 20_000 });
    await until(() => childrenOf(worker.pid!).length >= IDLE, 20_000);
    await pause(2000);
    const idleRss = childrenOf(worker.pid!).map(rssMB);
    const workerRss = rssMB(worker.pid!);

    const latencies: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      const room = `bench-${i}`;
      // The worker reports CPU load; right after a refill it may be too busy to
      // get jobs (the server skips workers at 0.7 or more).
      await until(() => {
        const info = server.workers()[0];
        return info?.status === WorkerStatus.WS_AVAILABLE && info.load < 0.7;
      }, 30_000);
      const created = Date.now();
      server.createRoom(room);
      const marker = join(markers, room);
      await until(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '', 10_000);
      latencies.push(Number(readFileSync(marker, 'utf8')) - created);
      // Let the pool refill, so every job finds a warm process.
      await until(() => childrenOf(worker.pid!).length >= IDLE, 10_000);
      await pause(300);
    }
    return [
      {
        name: 'room created → entry running (warm pool)',
        result: `p50 ${fmt(median(latencies), 0)} ms, p95 ${fmt(percentile(latencies, 95), 0)} ms`,
        detail: `${JOBS} jobs one after another, worker started with \`start\` (3 idle processes)`,
      },
      {
        name: 'idle job process RSS',
        result: `${fmt(median(idleRss), 0)} MB`,
        detail: `median of ${idleRss.length} prewarmed processes, from /proc`,
      },
      {
        name: 'worker process RSS',
        result: `${fmt(workerRss, 0)} MB`,
        detail: 'registered, 3 idle processes, no job running',
      },
    ];
  } finally {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await server.close();
    await rm(markers, { recursive: true, force: true });
  }
}

export const workerSuite: Suite = { name: 'worker', run };
