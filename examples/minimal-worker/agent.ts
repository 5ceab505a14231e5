// The smallest agent. `tsx agent.ts dev` runs a worker that registers with the
// LiveKit server named by LIVEKIT_URL (with LIVEKIT_API_KEY/SECRET) and runs
// each job it accepts in a process of its own, prewarmed before the job came.
import { fileURLToPath } from 'node:url';
import { cli, defineAgent, type JobContext, type JobProcess, log } from '@agents/core';

export default defineAgent({
  // Runs once per job process, before any job: load models here.
  prewarm: (proc: JobProcess) => {
    proc.userData.preparedAt = new Date().toISOString();
  },
  entry: async (ctx: JobContext) => {
    const logger = log().child({ jobId: ctx.job.id, room: ctx.job.room?.name });
    logger.info(
      { preparedAt: ctx.proc.userData.preparedAt },
      'minimal agent in its job: not joining the room, waiting to be ended',
    );
    // A voice agent would now join the room (`await ctx.connect()`) and start
    // its pipeline. The stand-in server has no media rooms yet, so this one
    // stays out of the room until the job is ended: by the server, the worker
    // (Ctrl-C), or ctx.shutdown(). It waits here rather than returning: an
    // entry that returns without joining gets a warning that its job is left
    // running with no one in the room, which is usually a mistake.
    await new Promise<void>((resolve) => {
      ctx.addShutdownCallback((reason) => {
        logger.info({ reason }, 'minimal agent done');
        resolve();
      });
    });
  },
});

cli.runApp({ agent: fileURLToPath(import.meta.url) });
