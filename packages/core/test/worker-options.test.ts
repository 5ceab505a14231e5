import { availableParallelism } from 'node:os';
import { Job, Room } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { HealthServer } from '../src/worker/health-server.js';
import { JobRequest, JobRequestAnsweredError } from '../src/worker/job-request.js';
import { createCpuLoadFnc } from '../src/worker/load.js';
import { agentURL, defaultMaxJobs, httpURL, resolveWorkerOptions } from '../src/worker/options.js';

const env = {
  LIVEKIT_URL: 'ws://localhost:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
};

describe('worker options', () => {
  it('takes the connection from the environment and fills defaults', () => {
    const options = resolveWorkerOptions({ agent: '/app/agent.js' }, env);
    expect(options).toMatchObject({
      wsURL: 'ws://localhost:7880',
      apiKey: 'devkey',
      apiSecret: 'secret',
      workerType: 'room',
      agentName: '',
      numIdleProcesses: 3,
      maxRetry: 16,
    });
    expect(options.permissions).toMatchObject({ canPublish: true, hidden: false });
    expect(options.loadFnc).toBeUndefined();
    expect(options.loadThreshold).toBe(0.7);
  });

  it('names the missing variable and the option that replaces it', () => {
    const { LIVEKIT_API_SECRET: _, ...noSecret } = env;
    expect(() => resolveWorkerOptions({ agent: 'a.js' }, noSecret)).toThrow(
      'LIVEKIT_API_SECRET is not set: set it in the environment or pass apiSecret (--api-secret)',
    );
    expect(() => resolveWorkerOptions({ agent: 'a.js' }, {})).toThrow(/LIVEKIT_URL is not set/);
    expect(() => resolveWorkerOptions({ agent: '' }, env)).toThrow(/agent must be the path/);
  });

  it('rejects values that cannot work, at construction', () => {
    expect(() => resolveWorkerOptions({ agent: 'a.js', wsURL: 'localhost:7880' }, env)).toThrow(
      /must start with ws:\/\//,
    );
    expect(() => resolveWorkerOptions({ agent: 'a.js', loadThreshold: 1.5 }, env)).toThrow(
      /loadThreshold/,
    );
    expect(() => resolveWorkerOptions({ agent: 'a.js', numIdleProcesses: -1 }, env)).toThrow(
      /numIdleProcesses must be a whole number/,
    );
    expect(() =>
      resolveWorkerOptions({ agent: 'a.js', workerType: 'room-ish' as 'room' }, env),
    ).toThrow(/workerType/);
    expect(() => resolveWorkerOptions({ agent: 'a.js', maxJobs: 0 }, env)).toThrow(
      /maxJobs must be a whole number >= 1/,
    );
    expect(() => resolveWorkerOptions({ agent: 'a.js', requestTimeoutMs: 1.5 }, env)).toThrow(
      /requestTimeoutMs/,
    );
  });

  it('sizes maxJobs from the machine, and takes no load threshold as Infinity (dev)', () => {
    const options = resolveWorkerOptions({ agent: 'a.js' }, env);
    expect(options.maxJobs).toBe(defaultMaxJobs());
    expect(options.maxJobs).toBeGreaterThanOrEqual(1);
    expect(options.maxJobs).toBeLessThanOrEqual(availableParallelism() * 8);
    expect(options.requestTimeoutMs).toBeLessThan(3000); // inside the server's answer window
    const dev = resolveWorkerOptions({ agent: 'a.js', loadThreshold: Infinity }, env);
    expect(dev.loadThreshold).toBe(Infinity);
  });

  it('builds the agent endpoint without a double slash, mapping http to ws', () => {
    expect(agentURL('ws://localhost:7880')).toBe('ws://localhost:7880/agent');
    expect(agentURL('https://example.livekit.cloud/')).toBe('wss://example.livekit.cloud/agent');
    expect(agentURL('http://host:7880/base/')).toBe('ws://host:7880/base/agent');
    expect(httpURL('wss://example.livekit.cloud/x')).toBe('https://example.livekit.cloud');
  });
});

describe('JobRequest', () => {
  const job = new Job({ id: 'AJ_1', room: new Room({ name: 'lobby' }) });

  it('answers once, with a default identity', async () => {
    const answers: unknown[] = [];
    const request = new JobRequest(job, (answer) => answers.push(answer));
    expect(request.room?.name).toBe('lobby');
    await request.accept({ name: 'Agent' });
    expect(answers).toEqual([
      { accepted: true, identity: 'agent-AJ_1', name: 'Agent', metadata: '', attributes: {} },
    ]);
    await expect(request.reject()).rejects.toThrow(JobRequestAnsweredError);
    expect(request.answered).toBe(true);
  });
});

describe('CPU load', () => {
  it('reports the share of CPU used over windows of at least a second, between 0 and 1', () => {
    const load = createCpuLoadFnc();
    expect(load()).toBe(0);
    const end = performance.now() + 1050;
    while (performance.now() < end) {}
    const value = load();
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThanOrEqual(1);
    expect(load()).toBe(value);
  });
});

describe('HealthServer', () => {
  it('answers 200 when healthy, 503 otherwise, and describes the worker', async () => {
    let healthy = false;
    const server = new HealthServer({ healthy: () => healthy, describe: () => ({ id: 'AW_1' }) });
    const { port } = await server.listen('127.0.0.1', 0);
    try {
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(503);
      healthy = true;
      const ok = await fetch(`http://127.0.0.1:${port}/`);
      expect([ok.status, await ok.text()]).toEqual([200, 'OK']);
      expect(await (await fetch(`http://127.0.0.1:${port}/worker`)).json()).toEqual({ id: 'AW_1' });
      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
