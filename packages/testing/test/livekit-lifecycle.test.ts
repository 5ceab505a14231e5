// Restarting, closing and waiting: the stand-in's own lifecycle.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JobType } from '@livekit/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveKitStandIn, StandInClosedError, WaitTimeoutError } from '../src/livekit/index.js';
import { TestWorker } from './fixtures/livekit/test-worker.js';

let server: LiveKitStandIn;

afterEach(async () => {
  await server?.close();
});

describe('restart', () => {
  it('comes back on the same port having forgotten rooms and workers', async () => {
    server = await LiveKitStandIn.start();
    const url = server.url;
    const { worker, response } = await TestWorker.register(url);
    server.createRoom('room');
    await worker.next('availability');

    await server.restart();
    // Cut without a close frame, as a dying server's sockets are.
    expect(await worker.closed).toBe(1006);
    expect(server.url).toBe(url);
    expect(server.rooms()).toEqual([]);
    expect(server.jobs()).toEqual([]);
    expect(server.workers()).toEqual([]);

    const again = await TestWorker.register(url);
    expect(again.response.workerId).not.toBe(response.workerId);
    expect(again.response.serverInfo?.nodeId).not.toBe(response.serverInfo?.nodeId);
    // The log is the test's record: it spans the restart.
    expect(server.messages().filter((m) => m.kind === 'register')).toHaveLength(4);
    again.worker.close();
  });

  it('keeps rooms, dispatches and jobs with keepRooms, as a Redis-backed server would', async () => {
    server = await LiveKitStandIn.start();
    const { worker } = await TestWorker.register(server.url, { type: JobType.JT_ROOM });
    server.createRoom('room');
    const request = await worker.next('availability');
    await server.restart({ keepRooms: true });
    expect(server.rooms().map((r) => r.name)).toEqual(['room']);
    expect(server.dispatches('room')).toHaveLength(1);
    expect(server.job(request.job!.id)).toBeDefined();
    expect(server.workers()).toEqual([]);
  });

  it('refuses connections while down for downtimeMs', async () => {
    server = await LiveKitStandIn.start();
    const restarting = server.restart({ downtimeMs: 200 });
    await server.waitUntil(() => !server.listening);
    await expect(TestWorker.connect(server.url)).rejects.toThrow(/ECONNREFUSED/);
    await restarting;
    const { worker } = await TestWorker.register(server.url);
    worker.close();
  });
});

describe('waits', () => {
  it('fail with WaitTimeoutError at their deadline, and StandInClosedError on close', async () => {
    server = await LiveKitStandIn.start({ waitTimeoutMs: 50 });
    await expect(server.waitForWorkers(1)).rejects.toThrow(WaitTimeoutError);
    await expect(server.waitForWorkers(1)).rejects.toThrow(
      'no 1 registered worker(s) (have 0) within 50 ms',
    );
    const pending = server.waitForMessage(() => false, { timeoutMs: 60_000 });
    await server.close();
    await expect(pending).rejects.toThrow(StandInClosedError);
    await expect(server.waitForWorkers(0)).rejects.toThrow(StandInClosedError);
  });
});

describe('close', () => {
  it('leaves nothing running: the process exits on its own', async () => {
    const script = fileURLToPath(new URL('./fixtures/livekit/clean-exit.mjs', import.meta.url));
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = execFile(
          process.execPath,
          [script],
          { timeout: 15_000, env: { ...process.env, LOG_LEVEL: 'silent' } },
          (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
        );
      },
    );
    expect(result.stderr).toBe('');
    // Everything waits 600 s; a process still alive at the 15 s deadline is
    // killed, and then the exit code is null, not 0.
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      wait: 'StandInClosedError',
      codes: [1006, 1006, 1006],
      listening: false,
    });
  });
});
