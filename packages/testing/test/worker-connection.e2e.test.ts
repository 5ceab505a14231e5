import { fileURLToPath } from 'node:url';
import { APIStatusError, Worker, type WorkerOptions, type WorkerTimings } from '@agents/core';
import { WorkerStatus } from '@livekit/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scaledMs } from '../src/index.js';
import { LiveKitStandIn } from '../src/livekit/index.js';

const AGENT = fileURLToPath(new URL('./fixtures/agents/scripted-agent.mjs', import.meta.url));

/** Fast machinery, so that each case runs in about a second. */
const FAST: Partial<WorkerTimings> = {
  retryIntervalMs: 20,
  maxRetryIntervalMs: 100,
  statusIntervalMs: 100,
};

let server: LiveKitStandIn;
let workers: Array<{ worker: Worker; running: Promise<void> }> = [];

beforeEach(async () => {
  server = await LiveKitStandIn.start();
});

afterEach(async () => {
  await Promise.all(workers.map(({ worker }) => worker.close()));
  await Promise.all(workers.map(({ running }) => running.catch(() => {})));
  workers = [];
  await server.close();
});

function startWorker(
  overrides: Partial<WorkerOptions> = {},
  timings: Partial<WorkerTimings> = {},
): { worker: Worker; running: Promise<void> } {
  const worker = new Worker(
    {
      agent: AGENT,
      wsURL: server.url,
      apiKey: server.apiKey,
      apiSecret: server.apiSecret,
      host: '127.0.0.1',
      port: 0,
      numIdleProcesses: 0,
      loadFnc: () => 0,
      maxRetry: 3,
      ...overrides,
    },
    { ...FAST, ...timings },
  );
  const started = { worker, running: worker.run() };
  workers.push(started);
  return started;
}

function statusReports(): number {
  return server.messages().filter((m) => m.direction === 'from_worker' && m.kind === 'updateWorker')
    .length;
}

describe('the worker connection', () => {
  it('gives up on a server that drops every registration at once (no endless flapping)', async () => {
    let registrations = 0;
    server.on('worker_registered', (info) => {
      registrations += 1;
      server.dropWorker(info.id);
    });
    const { running } = startWorker({ maxRetry: 3 }, { stableAfterMs: scaledMs(60_000) });
    await expect(running).rejects.toThrow(/4 failed attempts in a row \(maxRetry 3\)/);
    expect(registrations).toBe(4);
  });

  it('counts a registration that lasted as good: the next drop starts the count again', async () => {
    const { worker } = startWorker({ maxRetry: 1 }, { stableAfterMs: 0 });
    for (let i = 0; i < 3; i++) {
      const [info] = await server.waitForWorkers(1);
      await server.waitUntil(() => worker.id === info!.id, { what: 'the registration' });
      server.dropWorker(info!.id);
      await server.waitUntil(() => server.workers().length === 0, { what: 'the drop' });
    }
    await server.waitForWorkers(1);
  });

  it('stops at once when the URL has no agent endpoint (404), naming LIVEKIT_URL', async () => {
    // Retries would wait a minute each: the test would time out if it retried.
    const { running } = startWorker(
      { wsURL: `${server.url}/not-livekit`, maxRetry: 16 },
      { retryIntervalMs: 60_000, maxRetryIntervalMs: 60_000 },
    );
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIStatusError);
    expect((error as APIStatusError).status).toBe(404);
    expect((error as Error).message).toMatch(/not a LiveKit agent endpoint.*LIVEKIT_URL/);
  });

  it('gives up after maxRetry attempts on an unreachable server', async () => {
    const port = server.port;
    await server.close();
    const { running } = startWorker({ wsURL: `ws://127.0.0.1:${port}`, maxRetry: 2 });
    await expect(running).rejects.toThrow(/could not stay connected .* 3 failed attempts/);
    server = await LiveKitStandIn.start();
  });

  it('cuts a link whose server stops answering pings, and registers again', async () => {
    const { worker } = startWorker({}, { heartbeatIntervalMs: 200 });
    const [first] = await server.waitForWorkers(1);
    await server.waitUntil(() => worker.id === first!.id, { what: 'the registration' });
    server.stallWorker(first!.id);
    const second = await server.waitUntil(
      () => server.workers().find((w) => w.id !== first!.id && !w.stalled),
      { what: 'a new registration after the dead link' },
    );
    await server.waitUntil(() => worker.id === second.id, { what: 'the worker to follow' });
  });

  it('keeps reporting status when loadFnc never answers, and drain() still returns', async () => {
    const { worker } = startWorker(
      { loadFnc: () => new Promise<number>(() => {}) },
      { loadTimeoutMs: 50 },
    );
    await server.waitForWorkers(1);
    await server.waitUntil(() => statusReports() >= 3, { what: 'three status reports' });
    await worker.drain(scaledMs(5000));
    await server.waitUntil(() => server.workers()[0]?.status === WorkerStatus.WS_FULL, {
      what: 'the draining worker to report full',
    });
  });

  it('describes its capacity on GET /worker', async () => {
    const { worker } = startWorker({ maxJobs: 5 });
    await server.waitForWorkers(1);
    await server.waitUntil(() => worker.registered, { what: 'the registration' });
    const described = (await (
      await fetch(`http://127.0.0.1:${worker.healthPort}/worker`)
    ).json()) as Record<string, unknown>;
    expect(described).toMatchObject({ registered: true, maxJobs: 5, jobs: 0, status: 'available' });
  });
});
