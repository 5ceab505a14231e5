import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LiveKitStandIn } from '@agents/testing';
import { JobStatus } from '@livekit/protocol';
import { afterEach, expect, it } from 'vitest';

const agent = fileURLToPath(new URL('../agent.ts', import.meta.url));
const here = fileURLToPath(new URL('..', import.meta.url));
let server: LiveKitStandIn | undefined;

afterEach(async () => {
  await server?.close();
});

it('runs a job against the stand-in server, and stops cleanly on Ctrl-C', async () => {
  server = await LiveKitStandIn.start();
  // Node itself with tsx's loader, not the tsx command: that one relays a signal to its child
  // and kills the child if it has not acknowledged the signal within 30 ms, which a busy
  // machine can miss (the worker then ends with 130, killed, not by its own Ctrl-C handling).
  const worker = spawn(process.execPath, ['--import', 'tsx', agent, 'connect', '--room', 'demo'], {
    cwd: here,
    env: {
      ...process.env,
      LIVEKIT_URL: server.url,
      LIVEKIT_API_KEY: server.apiKey,
      LIVEKIT_API_SECRET: server.apiSecret,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  worker.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    const job = await server.waitForJob((j) => j.room === 'demo' && j.simulated, {
      timeoutMs: 30_000,
    });
    await server.waitForJobStatus(job.id, JobStatus.JS_RUNNING, { timeoutMs: 30_000 });
    // `connect` logs human-readable lines; the agent's own line carries the job's id.
    // (The room's automatic job, offered when the room was created, may log first.)
    const started = new RegExp(
      `minimal agent in its job.*(\\n\\s+\\w+: .*)*?\\n\\s+jobId: "${job.id}"`,
    );
    await server.waitUntil(() => started.test(output), { timeoutMs: 30_000 });
  } finally {
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    worker.kill('SIGINT');
    expect(await exited).toBe(0);
  }
  // It stays out of the room on purpose and says so: no warning about an entry
  // that returned without connecting, and its own goodbye once Ctrl-C ends the job.
  expect(output).not.toMatch(/returned without connecting/);
  expect(output).toMatch(/minimal agent done(\n\s+\w+: .*)*\n\s+reason: "/);
});
