// The agent bench/suites/worker.ts runs: its entry records when it started
// (wall clock, comparable across processes on one machine), then ends the job.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, defineAgent } from '@agents/core';

export default defineAgent({
  entry: async (ctx) => {
    writeFileSync(
      join(process.env.BENCH_MARKERS, ctx.job.room?.name ?? 'unknown'),
      String(Date.now()),
    );
    ctx.shutdown('measured');
  },
});

cli.runApp({ agent: fileURLToPath(import.meta.url) });
