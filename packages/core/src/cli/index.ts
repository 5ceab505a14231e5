import { isJobProcess } from '../job/agent.js';
import type { RunAppOptions } from './app.js';

export type { RunAppOptions } from './app.js';
export { downloadPluginFiles } from './download-files.js';

/**
 * The command line of an agent file: `node agent.js <command>`.
 *
 * - `start`: production. JSON logs, a warm pool of job processes; the first
 *   SIGTERM/SIGINT drains (no new jobs, running ones finish), a second exits.
 * - `dev`: development. Pretty logs, no idle processes; restarts the worker
 *   when the agent's files change.
 * - `connect --room NAME`: like `dev`, then asks for a job in that room.
 * - `console --input in.wav --output out.wav`: run the agent in this process
 *   on a WAV file, with no LiveKit server; print the conversation, record it.
 * - `download-files`: fetch what the imported plugins need, then exit.
 *
 * In a job process (which imports the same file) it does nothing.
 *
 * The commands (commander, the console, the file watcher, the worker's wire protocol) load
 * on this call, so importing `@agents/core` stays cheap for a job process, which returns
 * here before loading any of them.
 */
export async function runApp(options: RunAppOptions = {}): Promise<void> {
  if (isJobProcess()) return;
  const app = await import('./app.js');
  await app.runApp(options);
}
