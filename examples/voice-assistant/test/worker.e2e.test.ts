// The example as a worker against the LiveKit stand-in, as far as the stand-in
// goes today: it registers, takes the room's job, runs the job in its own
// process (the VAD loaded by `prewarm`) and calls the entry, whose
// `ctx.connect()` is refused because the stand-in hosts no media rooms. The job
// is reported failed with a reason that says so, and the worker stays up and
// leaves cleanly. A real LiveKit server takes it from there (README).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LiveKitStandIn, scaledMs } from '@agents/testing';
import { afterEach, expect, it } from 'vitest';
import { type StandIns, startStandIns } from '../stand-ins.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const tsx = here('../node_modules/.bin/tsx');
const WAIT_MS = scaledMs(60_000);

let server: LiveKitStandIn | undefined;
let services: StandIns | undefined;

afterEach(async () => {
  await server?.close();
  await services?.close();
});

it(
  'takes a room job and reports clearly that joining the room needs a real server',
  async () => {
    server = await LiveKitStandIn.start();
    services = await startStandIns({
      services: ['deepgram', 'openai', 'elevenlabs'],
      input: here('../fixtures/weather-request.wav'),
      latency: 'none',
    });
    const worker = spawn(tsx, [here('../agent.ts'), 'connect', '--room', 'weather'], {
      env: {
        ...process.env,
        ...services.env,
        LIVEKIT_URL: server.url,
        LIVEKIT_API_KEY: server.apiKey,
        LIVEKIT_API_SECRET: server.apiSecret,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    worker.stdout.on('data', collect);
    worker.stderr.on('data', collect);
    try {
      // A job's `error` is set when its worker reports it failed.
      const failed = await server.waitForJob((j) => j.room === 'weather' && j.error !== '', {
        timeoutMs: WAIT_MS,
      });
      expect(failed.error).toMatch(/could not connect to the room at ws:\/\/127\.0\.0\.1:\d+/);
      expect(failed.error).toMatch(/hosts no media rooms/);
    } finally {
      const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
      worker.kill('SIGINT');
      expect(await exited).toBe(0);
    }
    // The job failed; the worker did not: it closed on Ctrl-C like any other.
    expect(output).toMatch(/worker closed/);
  },
  scaledMs(120_000),
);
