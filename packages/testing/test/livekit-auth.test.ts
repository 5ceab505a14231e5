import { JobType } from '@livekit/protocol';
import { AccessToken } from 'livekit-server-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveKitStandIn } from '../src/livekit/index.js';
import { agentToken, TestWorker, UpgradeRefused } from './fixtures/livekit/test-worker.js';

let server: LiveKitStandIn;

beforeEach(async () => {
  server = await LiveKitStandIn.start();
});

afterEach(async () => {
  await server.close();
});

/** The HTTP status and body of a refused agent connection. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; body: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpgradeRefused);
  const { status, body } = error as UpgradeRefused;
  return { status, body };
}

describe('agent endpoint auth', () => {
  it('accepts an agent token in the Authorization header', async () => {
    const { worker } = await TestWorker.register(server.url);
    expect(worker.workerId).toMatch(/^AW_[2-9A-HJ-NP-Za-km-z]{12}$/);
    worker.close();
  });

  it('accepts an agent token in the access_token query parameter', async () => {
    const { worker } = await TestWorker.register(server.url, {}, { via: 'query' });
    expect(worker.workerId).toMatch(/^AW_/);
    worker.close();
  });

  it('refuses a token signed with another secret: 401, plain text', async () => {
    const token = await agentToken({ apiSecret: 'not-the-secret' });
    const { status, body } = await refusal(TestWorker.connect(server.url, { token }));
    expect(status).toBe(401);
    expect(body).toMatch(/^invalid authorization token: /);
  });

  it('refuses an unknown API key', async () => {
    const token = await agentToken({ apiKey: 'otherkey' });
    expect(await refusal(TestWorker.connect(server.url, { token }))).toEqual({
      status: 401,
      body: 'invalid API key',
    });
  });

  it('refuses a token without the agent grant, and no token at all', async () => {
    const roomAdmin = await agentToken({ grant: { roomAdmin: true, room: 'r' } });
    const expected = { status: 401, body: 'no permissions to access the room' };
    expect(await refusal(TestWorker.connect(server.url, { token: roomAdmin }))).toEqual(expected);
    expect(await refusal(TestWorker.connect(server.url, { token: null }))).toEqual(expected);
  });

  it('refuses an expired token, beyond the minute of leeway', async () => {
    // jose takes a negative ttl as "expired that long ago".
    const expired = await agentToken({ ttl: '-2m' });
    const { status, body } = await refusal(TestWorker.connect(server.url, { token: expired }));
    expect(status).toBe(401);
    expect(body).toContain('"exp" claim timestamp check failed');

    const withinLeeway = await agentToken({ ttl: '-30s' });
    const { worker } = await TestWorker.register(server.url, {}, { token: withinLeeway });
    worker.close();
  });

  it('refuses an Authorization header that is not "Bearer <token>"', async () => {
    const token = await agentToken();
    const response = await fetch(`${server.httpUrl}/agent`, {
      headers: { Authorization: `bearer ${token}` },
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('invalid authorization header. Must start with Bearer ');
  });

  it('answers 404 to a plain GET of /agent, and OK on /', async () => {
    const token = await agentToken();
    const agent = await fetch(`${server.httpUrl}/agent`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(agent.status).toBe(404);
    const health = await fetch(`${server.httpUrl}/`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('OK');
  });

  it('collapses a doubled slash in the path, as the real server does', async () => {
    const { worker } = await TestWorker.register(server.url, {}, { path: '//agent' });
    expect(worker.workerId).toMatch(/^AW_/);
    worker.close();
  });

  it('signs job tokens with the key pair it was started with', async () => {
    await server.close();
    server = await LiveKitStandIn.start({ apiKey: 'key2', apiSecret: 'a-longer-secret' });
    const token = new AccessToken('key2', 'a-longer-secret');
    token.addGrant({ agent: true });
    const { worker } = await TestWorker.register(
      server.url,
      { type: JobType.JT_ROOM },
      { token: await token.toJwt() },
    );
    server.createRoom('room');
    const request = await worker.next('availability');
    worker.send({
      case: 'availability',
      value: { jobId: request.job!.id, available: true, participantIdentity: 'agent-1' },
    });
    const assignment = await worker.next('assignment');
    const payload = JSON.parse(
      Buffer.from(assignment.token.split('.')[1]!, 'base64url').toString(),
    );
    expect(payload.iss).toBe('key2');
    worker.close();
  });
});
