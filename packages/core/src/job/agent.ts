import type { JobContext } from './job-context.js';

/**
 * Set in the environment of every job process the pool forks. The agent file
 * is imported both by the worker (where its top-level `cli.runApp()` starts the
 * worker) and by each job process (where that call must do nothing).
 */
export const JOB_PROCESS_ENV = 'AGENTS_JOB_PROCESS';

/**
 * True inside a job process. `runApp` checks it so the agent file's top-level
 * call does not start a second worker in every child. Programs the job itself
 * spawns inherit the variable: clear it in their environment if they are agents.
 */
export function isJobProcess(): boolean {
  return process.env[JOB_PROCESS_ENV] === '1';
}

/** The job process as `prewarm` sees it, before any job is assigned. */
export class JobProcess {
  readonly pid = process.pid;
  /**
   * Filled by `prewarm` (a loaded model, a warmed-up client) and read by the
   * entry through `ctx.proc.userData`. It lives in this process only: nothing
   * in it crosses IPC, so it may hold anything.
   */
  readonly userData: Record<string, unknown> = {};
}

export interface Agent {
  /**
   * Runs once per process, before it is offered a job: load what every job
   * needs so a job does not wait for it. Bounded by `initializeTimeoutMs`.
   */
  prewarm?: (proc: JobProcess) => void | Promise<void>;
  /**
   * Runs the job. The job does not end when this returns: it ends when the room
   * disconnects or `ctx.shutdown()` is called. A throw ends it as failed.
   */
  entry: (ctx: JobContext) => Promise<void>;
}

/**
 * Declares the agent of this file: `export default defineAgent({ entry })`.
 * It returns its argument; its use is the type check on what you pass.
 */
export function defineAgent(agent: Agent): Agent {
  return agent;
}

/** Whether an imported module's default export looks like an agent. */
export function isAgent(value: unknown): value is Agent {
  if (typeof value !== 'object' || value === null) return false;
  const { entry, prewarm } = value as Partial<Agent>;
  return typeof entry === 'function' && (prewarm === undefined || typeof prewarm === 'function');
}
