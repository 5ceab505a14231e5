import { type UpdateWorkerStatus, WorkerStatus } from '@livekit/protocol';
import { expect, it } from 'vitest';
import { log } from '../src/log.js';
import { StatusReporter } from '../src/worker/status-reporter.js';

function reporter(load: number, loadThreshold: number) {
  const sent: UpdateWorkerStatus[] = [];
  const status = new StatusReporter({
    loadFnc: () => load,
    loadThreshold,
    intervalMs: 60_000,
    loadTimeoutMs: 1000,
    jobs: () => ({ count: 0, capacity: 4 }),
    blocked: () => undefined,
    send: (message) => sent.push(message),
    logger: log(),
  });
  return { status, sent };
}

it('a worker without a load threshold stays pickable at full load (dev on a busy machine)', async () => {
  const { status, sent } = reporter(1, Number.POSITIVE_INFINITY);
  await status.report();
  expect(sent[0]?.status).toBe(WorkerStatus.WS_AVAILABLE);
  // The server drops a job when every worker is at or above its target load (0.7 by default).
  expect(sent[0]?.load).toBeLessThan(0.7);
  expect(sent[0]?.load).toBeGreaterThan(0);
  expect(status.load).toBe(1);
});

it('a worker with a threshold reports its load as measured, and full at the threshold', async () => {
  const { status, sent } = reporter(1, 0.75);
  await status.report();
  expect(sent[0]?.load).toBe(1);
  expect(sent[0]?.status).toBe(WorkerStatus.WS_FULL);
  const calm = reporter(0.5, 0.75);
  await calm.status.report();
  expect(calm.sent[0]?.load).toBe(0.5);
  expect(calm.sent[0]?.status).toBe(WorkerStatus.WS_AVAILABLE);
});
