// Preloaded (`node --import`) into our worker by bench/suites/dispatch.ts; job processes inherit
// it through their execArgv. It notes when each step of a dispatch happens, on a clock shared
// by the processes (performance.timeOrigin + performance.now(), sub-millisecond), without
// touching the framework: the worker's WebSocket frames in and out, and the `start_job` IPC
// message it sends; in a job process, when `start_job` arrives and when `job_started` leaves
// (the context is built by then). The worker's notes go to BENCH_MARKERS/worker-trace.jsonl,
// written off the dispatch path; a job process's notes are read by the latency agent's entry.

import childProcess from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

const now = () => performance.timeOrigin + performance.now();
const markers = process.env.BENCH_MARKERS;

if (process.send) {
  // A job process. Not a 'message' listener of our own: Node starts delivering IPC messages
  // once the first listener is added, and the framework's is added later, after its imports.
  const trace = {};
  globalThis.__dispatchTrace = trace;
  process.cpuUsage(); // its first call costs about a millisecond; not on the path measured
  const emit = process.emit;
  process.emit = function (event, message, ...rest) {
    if (event === 'message' && message?.type === 'start_job') {
      trace.received = now();
      trace.cpuAtReceived = process.cpuUsage();
    }
    return emit.call(this, event, message, ...rest);
  };
  const send = process.send.bind(process);
  process.send = (message, ...rest) => {
    if (message?.type === 'job_started') {
      trace.acknowledged = now();
      trace.cpuAtAcknowledged = process.cpuUsage();
    }
    return send(message, ...rest);
  };
} else if (markers) {
  const notes = [];
  let flushPending = false;
  const note = (entry) => {
    notes.push(entry);
    if (flushPending) return;
    flushPending = true;
    setTimeout(() => {
      flushPending = false;
      appendFileSync(
        join(markers, 'worker-trace.jsonl'),
        notes
          .splice(0)
          .map((n) => `${JSON.stringify(n)}\n`)
          .join(''),
      );
    }, 100).unref();
  };
  const b64 = (data) => Buffer.from(data).toString('base64');

  // The `ws` the framework loads (resolved from @agents/core, as its own import is).
  const WebSocket = createRequire(import.meta.resolve('@agents/core'))('ws');
  const { emit, send } = WebSocket.prototype;
  WebSocket.prototype.emit = function (event, data, ...rest) {
    if (event === 'message') note({ dir: 'in', at: now(), frame: b64(data) });
    return emit.call(this, event, data, ...rest);
  };
  WebSocket.prototype.send = function (data, ...rest) {
    note({ dir: 'out', at: now(), frame: b64(data) });
    return send.call(this, data, ...rest);
  };

  // `child.send` is set per child, so wrap it on each forked child.
  const { fork } = childProcess;
  childProcess.fork = (...args) => {
    const child = fork(...args);
    const childSend = child.send.bind(child);
    child.send = (message, ...rest) => {
      if (message?.type !== 'start_job') return childSend(message, ...rest);
      const at = now();
      const result = childSend(message, ...rest);
      note({ dir: 'ipc', at, returned: now(), jobId: message.job.id });
      return result;
    };
    return child;
  };
  syncBuiltinESMExports();
}
