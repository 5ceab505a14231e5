import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiveKitStandIn } from '@agents/testing';
import { JobStatus, WorkerStatus } from '@livekit/protocol';
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';

const AGENT = fileURLToPath(new URL('../agents/burst-agent.mjs', import.meta.url));
const ROOMS = Number(process.env.BENCH_BURST_ROOMS ?? 60);

/**
 * A burst: ROOMS rooms created at once against one worker started with
 * `start` and every default (capacity from the machine, CPU load, 3 idle
 * processes). Every room must get a job that starts, or a quick refusal from
 * the worker (the real server would then try another worker); no accepted
 * job may fail. Jobs are held 20 s, so the burst really runs concurrently.
 */
async function run(): Promise<Row[]> {
  const server = await LiveKitStandIn.start();
  const markers = await mkdtemp(join(tmpdir(), 'agents-bench-burst-'));
  const worker = spawn(
    process.execPath,
    [AGENT, 'start', ...server.cliFlags, '--health-port', '0'],
    { env: { ...process.env, BENCH_MARKERS: markers, LOG_LEVEL: 'warn' }, stdio: 'ignore' },
  );
  try {
    await server.waitForWorkers(1, { timeoutMs: 30_000 });
    // Let the idle pool warm up and the load sampler settle, as on a worker that has been up a while.
    await server.waitUntil(() => server.workers()[0]?.status === WorkerStatus.WS_AVAILABLE, {
      timeoutMs: 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const rooms = Array.from({ length: ROOMS }, (_, i) => `burst-${i}`);
    const created = Date.now();
    for (const room of rooms) server.createRoom(room);
    const jobs = await server.waitUntil(
      () => {
        const all = server.jobs().filter((j) => rooms.includes(j.room));
        const settled = all.filter((j) => j.phase === 'assigned' || j.phase === 'unassigned');
        return settled.length === ROOMS ? settled : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const assigned = jobs.filter((j) => j.phase === 'assigned');
    const refused = jobs.filter((j) => j.phase === 'unassigned');
    const refusedByWorker = refused.filter((j) => j.attempts.some((a) => a.answer === 'rejected'));
    // Each accepted job: its entry ran, or it failed (that must not happen).
    await server.waitUntil(
      () =>
        assigned.every(
          (j) =>
            existsSync(join(markers, j.room)) || server.job(j.id)?.status === JobStatus.JS_FAILED,
        ),
      { timeoutMs: 120_000 },
    );
    const started = assigned.filter((j) => existsSync(join(markers, j.room)));
    const failed = assigned.filter((j) => server.job(j.id)?.status === JobStatus.JS_FAILED);
    const entryMs = started.map(
      (j) => Number(readFileSync(join(markers, j.room), 'utf8')) - created,
    );
    return [
      {
        name: `burst of ${ROOMS} rooms: accepted / refused / started / failed`,
        result: `${assigned.length} / ${refused.length} / ${started.length} / ${failed.length}`,
        detail: `refused: ${refusedByWorker.length} by the worker's answer, ${refused.length - refusedByWorker.length} by the server (worker reported full); ${failed.map((j) => server.job(j.id)?.error).join('; ')}`,
      },
      {
        name: `burst of ${ROOMS} rooms: room created → entry running`,
        result: `p50 ${fmt(median(entryMs), 0)} ms, p95 ${fmt(percentile(entryMs, 95), 0)} ms`,
        detail: `${started.length} started jobs, one worker with default options (\`start\`)`,
      },
    ];
  } finally {
    // The second signal stops at once: the held jobs need not run out.
    worker.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.kill('SIGTERM');
    // It may be gone already (it crashed, so the waits above failed): 'exit' was then emitted.
    if (worker.exitCode === null && worker.signalCode === null) {
      await new Promise((resolve) => worker.once('exit', resolve));
    }
    await server.close();
    await rm(markers, { recursive: true, force: true });
  }
}

export const burstSuite: Suite = { name: 'burst', run };
