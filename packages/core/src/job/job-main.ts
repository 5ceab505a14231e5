/**
 * The program of a job process, forked by the worker's `ProcPool`. It imports
 * the agent file, runs `prewarm`, waits for one job, runs it, and exits. All
 * control comes from the worker over IPC (see ipc.ts); the worker supervises
 * it with pings and deadlines and kills it when it does not answer.
 */
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dispose } from '@livekit/rtc-node';
import { initializeLogger, log } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import { type Agent, isAgent, JobProcess } from './agent.js';
import { type InitializeRequest, isParentMessage, type ParentMessage } from './ipc.js';
import { fromStartJobRequest, JobRunner } from './job-runner.js';
import { IpcLogDestination } from './log-forwarding.js';
import { ParentChannel } from './parent-channel.js';
import { warmUpJobStart } from './warm-up.js';

/** Time for the last messages to leave, and for rtc-node to release its native side. */
const FLUSH_TIMEOUT_MS = 1000;
const DISPOSE_TIMEOUT_MS = 2000;
/** Before `initialize` says otherwise. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** How long the job waits for the worker to report its outcome before it leaves the room anyway. */
const REPORT_TIMEOUT_MS = 3000;

const channel = new ParentChannel();
const proc = new JobProcess();
let agent: Agent | undefined;
let shutdownTimeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS;
let runner: JobRunner | undefined;
let jobEnding = false;
let exiting = false;
/** Resolves the wait for `job_ending_reported`. */
let reported: (() => void) | undefined;

if (!process.send) {
  console.error('job-main.js is a job process: the worker forks it; it does not run on its own');
  process.exit(1);
}

// Ctrl-C in a terminal signals the whole process group, children included.
// The worker decides how jobs end (drain, then shutdown), so a child waits for
// its word over IPC instead of dying mid-sentence.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});

// The channel closes when the worker exits, however it exits (even SIGKILL):
// nobody is left to supervise this process, so it ends its job and goes.
// (A worker that dies abruptly also leaves its pool's reaper to SIGKILL this
// process group, which covers an event loop too blocked to get here.)
process.on('disconnect', () => {
  if (!runner) void exit(0);
  else void endJob('the worker went away', undefined, true);
});

// An error nobody caught is the job's failure, reported as such, not a silent crash.
const onUncaught = (error: unknown) => {
  log().fatal({ err: error }, 'uncaught error in the job process');
  if (runner) void endJob('uncaught error', error, true);
  else void exit(1);
};
process.on('uncaughtException', onUncaught);
process.on('unhandledRejection', onUncaught);

process.on('message', (message: unknown) => {
  if (!isParentMessage(message)) return; // user code may use the channel too
  void handle(message);
});

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'initialize':
      await initialize(message);
      return;
    case 'start_job': {
      if (!agent || runner) {
        log().error('received a job before initializing, or a second job; ignoring it');
        return;
      }
      const info = fromStartJobRequest(message);
      // Whatever ends the job (ctx.shutdown, the room, a failing entry) comes through here.
      runner = new JobRunner(
        info,
        proc,
        (reason) => void endJob(reason, undefined, true),
        reportBeforeLeaving,
      );
      // Written to the pipe before the entry runs (a send to an idle channel is
      // a synchronous write), so an entry that blocks the event loop from its
      // first line still lets the worker hear that the job started.
      channel.send({ type: 'job_started' });
      runner.run(agent);
      // The worker forks this process's replacement on this word: a fork and a
      // new process's imports would take the CPU this job's start needs.
      channel.send({ type: 'entry_started' });
      return;
    }
    case 'ping':
      channel.send({ type: 'pong', sentAt: message.sentAt, rssBytes: process.memoryUsage.rss() });
      return;
    case 'shutdown':
      // The worker asked, so the worker's deadline applies (it kills past it).
      if (runner) await endJob(message.reason, undefined, false);
      else await exit(0);
      return;
    case 'job_ending_reported':
      reported?.();
      return;
  }
}

/**
 * Has the worker tell the server how the job ended while the job is still in
 * its room: the server counts an agent that leaves a room with its job still
 * running as a failure, whatever the worker says afterwards. Bounded: a slow
 * or gone worker only means the old order.
 */
async function reportBeforeLeaving(end: { reason: string; error?: string }): Promise<void> {
  const answered = new Promise<void>((resolve) => {
    reported = resolve;
  });
  if (!channel.send({ type: 'job_ending', ...end })) return;
  await withDeadline(answered, REPORT_TIMEOUT_MS, 'the worker reporting the job outcome');
}

async function initialize(message: InitializeRequest): Promise<void> {
  shutdownTimeoutMs = message.shutdownTimeoutMs;
  // Before importing the agent file, so its top-level `log()` calls are forwarded too.
  initializeLogger({
    level: message.logLevel,
    pretty: false,
    destination: new IpcLogDestination(channel),
  });
  try {
    agent = await loadAgent(message.agentFile);
    await agent.prewarm?.(proc);
    // While idle, not when the job arrives: see warm-up.ts.
    warmUpJobStart();
  } catch (error) {
    // The worker logs it, once for a run of identical failures, not once per retry.
    log().debug({ err: error }, 'job process failed to initialize');
    const stack = error instanceof Error ? error.stack : undefined;
    channel.send({ type: 'initialize_failed', error: errorMessage(error), stack });
    await exit(1);
    return;
  }
  channel.send({ type: 'initialized' });
}

async function loadAgent(agentFile: string): Promise<Agent> {
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(agentFile).href);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (
      code === 'ERR_UNKNOWN_FILE_EXTENSION' &&
      ['.ts', '.mts', '.cts'].includes(extname(agentFile))
    ) {
      throw new Error(
        `cannot import ${agentFile}: Node does not run TypeScript by itself; ` +
          'start the worker with tsx (`tsx agent.ts start`) or run the compiled JavaScript',
        { cause: error },
      );
    }
    throw error;
  }
  if (!isAgent(module.default)) {
    throw new Error(`${agentFile} must \`export default defineAgent({ entry })\``);
  }
  return module.default;
}

/**
 * Ends the job, tells the worker how it went, and exits. With `ownDeadline`
 * (the job ended on its own, or the worker is gone) the child bounds its
 * teardown itself; when the worker asked, the worker's deadline governs.
 */
async function endJob(reason: string, error: unknown, ownDeadline: boolean): Promise<void> {
  if (jobEnding) return;
  jobEnding = true;
  const timer = ownDeadline
    ? setTimeout(() => {
        const late = `shutdown did not finish within ${shutdownTimeoutMs} ms`;
        log().error({ reason }, late);
        channel.send({ type: 'job_done', reason, error: late });
        void exit(1);
      }, shutdownTimeoutMs)
    : undefined;
  const end = await runner!.end(reason, error);
  clearTimeout(timer);
  if (exiting) return; // the deadline above fired first
  channel.send({ type: 'job_done', ...end });
  await exit(end.error === undefined ? 0 : 1);
}

async function exit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  await channel.flush(FLUSH_TIMEOUT_MS);
  // rtc-node's native threads would otherwise keep running (or crash) during exit.
  await withDeadline(dispose(), DISPOSE_TIMEOUT_MS, 'rtc-node dispose').catch(() => {});
  // With the worker alive, the pool kills this process group once we have
  // exited. With the worker gone, nobody will: take what the job started
  // (this process leads its own group) down with us.
  if (!process.connected) killOwnGroup();
  process.exit(code);
}

function killOwnGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // Not a group leader (not forked by the pool): nothing else to take down.
  }
}
