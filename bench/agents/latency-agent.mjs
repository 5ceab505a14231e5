// The agent bench/suites/worker.ts runs: its entry records when it started
// (wall clock, comparable across processes on one machine), then ends the job.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, defineAgent } from '@agents/core';

export default defineAgent({
  entry: async (ctx) => {
    const entry = performance.timeOrigin + performance.now();
    const marker = join(process.env.BENCH_MARKERS, ctx.job.room?.name ?? 'unknown');
    // bench/agents/dispatch-trace.mjs, when preloaded: when the job reached this process.
    const trace = globalThis.__dispatchTrace;
    if (trace) writeFileSync(`${marker}.trace`, JSON.stringify({ ...trace, entry }));
    writeFileSync(marker, String(Date.now()));
    ctx.shutdown('measured');
  },
});

cli.runApp({
  agent: fileURLToPath(import.meta.url),
  // bench/suites/dispatch.ts: the machine's CPU use is not what it measures, and on a shared
  // machine it keeps the worker above the server's 0.7 cut-off (the peer reports 0 as well).
  // A fresh process's import can take over 10 s at load 20, the default deadline.
  ...(process.env.BENCH_LOAD_ZERO ? { loadFnc: () => 0, initializeProcessTimeoutMs: 120_000 } : {}),
});
