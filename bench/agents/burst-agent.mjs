// The agent bench/suites/burst.ts runs: its entry records when it started
// (wall clock, comparable across processes on one machine), then holds the
// job for BENCH_HOLD_MS, as a short conversation would, so a burst of rooms
// really runs at once.
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
    setTimeout(() => ctx.shutdown('held'), Number(process.env.BENCH_HOLD_MS ?? 20_000));
  },
});

cli.runApp({ agent: fileURLToPath(import.meta.url) });
