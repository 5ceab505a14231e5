import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerMessage, WorkerMessage } from '@livekit/protocol';

/** What a job process noted (agents/dispatch-trace.mjs, then the latency agent's entry). */
export interface Trace {
  received?: number;
  acknowledged?: number;
  entry: number;
}

/** One dispatch: milliseconds from the room's creation, and what the job's process noted. */
export interface Steps {
  jobId: string;
  created: number;
  offered: number;
  answered: number;
  assigned: number;
  entry: number;
  child: Trace | undefined;
}

/** The worker's notes, by job id: when each of its frames and its start_job message went by. */
interface WorkerNotes {
  offerIn?: number;
  answerOut?: number;
  assignmentIn?: number;
  startJobSent?: number;
  startJobReturned?: number;
}

type Note =
  | { dir: 'in' | 'out'; at: number; frame: string }
  | { dir: 'ipc'; at: number; returned: number; jobId: string };

export function readTraces(markers: string): Map<string, WorkerNotes> {
  const byJob = new Map<string, WorkerNotes>();
  const file = join(markers, 'worker-trace.jsonl');
  if (!existsSync(file)) return byJob;
  const notesOf = (id: string) => byJob.get(id) ?? byJob.set(id, {}).get(id)!;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const note = JSON.parse(line) as Note;
    if (note.dir === 'ipc') {
      const notes = notesOf(note.jobId);
      notes.startJobSent = note.at;
      notes.startJobReturned = note.returned;
      continue;
    }
    const bytes = Buffer.from(note.frame, 'base64');
    if (note.dir === 'in') {
      const { message } = ServerMessage.fromBinary(bytes);
      if (message.case === 'availability') notesOf(message.value.job!.id).offerIn ??= note.at;
      if (message.case === 'assignment') notesOf(message.value.job!.id).assignmentIn ??= note.at;
    } else {
      const { message } = WorkerMessage.fromBinary(bytes);
      if (message.case === 'availability') notesOf(message.value.jobId).answerOut ??= note.at;
    }
  }
  return byJob;
}

/** The time between consecutive steps of one dispatch, in ms; undefined when a note is missing. */
export function traceSteps(
  steps: Steps,
  traces: Map<string, WorkerNotes>,
): Record<string, number> | undefined {
  const w = traces.get(steps.jobId);
  const c = steps.child;
  if (!w || !c) return undefined;
  const points: Array<[string, number | undefined]> = [
    ['room created → offer read by the worker (stand-in)', steps.created],
    ['offer read → answer written (worker)', w.offerIn],
    ['answer written → assignment read (stand-in, 2 socket hops)', w.answerOut],
    ['assignment read → start_job sent (worker)', w.assignmentIn],
    ['start_job send() itself (worker, serialization)', w.startJobSent],
    ['start_job sent → read by the job process (IPC)', w.startJobReturned],
    ['start_job read → context built, job_started sent (job process)', c.received],
    ['job_started sent → entry running (job process)', c.acknowledged],
  ];
  const result: Record<string, number> = {};
  for (let i = 0; i < points.length; i++) {
    const [name, from] = points[i]!;
    const to = i + 1 < points.length ? points[i + 1]![1] : c.entry;
    if (from === undefined || to === undefined) return undefined;
    result[name] = to - from;
  }
  return result;
}
