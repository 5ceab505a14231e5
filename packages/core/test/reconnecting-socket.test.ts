import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { APIConnectionError, APIStatusError, APITimeoutError } from '../src/errors.js';
import { initializeLogger } from '../src/log.js';
import { StreamClosedError } from '../src/utils/async-stream.js';
import {
  captureLogs,
  ReconnectingSocket,
  refusingServer,
  silentServer,
  socketOptions,
  TestServer,
  within,
} from './reconnecting-socket-helpers.js';
import { scaledMs } from './time.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  initializeLogger({ level: 'silent', pretty: false });
});

async function server(onConnection?: Parameters<typeof TestServer.start>[0]) {
  const s = await TestServer.start(onConnection);
  cleanups.push(() => s.close());
  return s;
}

function track(socket: ReconnectingSocket): ReconnectingSocket {
  cleanups.push(() => socket.close());
  return socket;
}

describe('ReconnectingSocket: connecting', () => {
  it('opens, sends and receives, and close() leaves no socket behind', async () => {
    const srv = await server((c) => c.ws.on('message', (data) => c.ws.send(`echo:${data}`)));
    const generations: number[] = [];
    const options = socketOptions(srv.url, {
      onOpen: (s) => {
        generations.push(s.generation);
        s.send('hello');
      },
    });
    const socket = track(new ReconnectingSocket(options));
    expect(socket.state).toBe('idle');
    await socket.open();
    expect(socket.state).toBe('open');
    socket.send('one');
    socket.send(new Uint8Array([1, 2, 3]));
    const conn = await srv.connection(0);
    const received = await conn.waitForMessages(3);
    expect(received[0]).toBe('hello');
    expect(received[1]).toBe('one');
    expect([...(received[2] as Buffer)]).toEqual([1, 2, 3]);
    expect(conn.ws.protocol).toBe('');
    await within(
      (async () => {
        while (options.messages.length < 2) await new Promise((r) => setImmediate(r));
      })(),
      'echoes',
    );
    expect(options.messages.slice(0, 2)).toEqual(['echo:hello', 'echo:one']);
    expect(generations).toEqual([0]);

    const closing = socket.close();
    expect(socket.state).toBe('closed');
    expect(socket.close()).toBe(closing);
    await closing;
    await socket.done;
    expect(await conn.closed).toBe(1000);
    expect(srv.openClients).toBe(0);
    expect(() => socket.send('late')).toThrow(StreamClosedError);
  });

  it('gives a handshake that never answers up at the connect deadline (APITimeoutError), retried', async () => {
    const silent = await silentServer();
    cleanups.push(() => silent.close());
    const options = socketOptions(silent.url, {
      connectOptions: { maxRetry: 1, retryIntervalMs: 1, timeoutMs: 100 },
    });
    const socket = track(new ReconnectingSocket(options));
    const error = await socket.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as Error).message).toContain('test.STT');
    expect((error as Error).message).toContain('100 ms');
    await expect(socket.done).rejects.toBe(error);
    expect(silent.sockets.length).toBe(2);
    expect(options.metrics.map((m) => m.event)).toEqual(['lost', 'gave_up']);
    await within(
      Promise.all(
        silent.sockets.map((s) => (s.closed ? null : new Promise((r) => s.once('close', r)))),
      ),
      'client sockets to close',
    );
    expect(socket.state).toBe('closed');
  });

  it('counts a connection that opens and drops at once as a failure: gives up after maxRetry + 1 attempts', async () => {
    const logs = captureLogs();
    const srv = await server((c) => c.ws.terminate());
    const options = socketOptions(srv.url, {
      connectOptions: { maxRetry: 2, retryIntervalMs: 4, timeoutMs: scaledMs(5_000) },
      stableAfterMs: scaledMs(60_000),
      maxIntervalMs: 1_000,
    });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    const error = await socket.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(srv.connections.length).toBe(3);
    expect(options.metrics.map((m) => [m.event, m.attempt])).toEqual([
      ['lost', 1],
      ['reconnected', 1],
      ['lost', 2],
      ['reconnected', 2],
      ['gave_up', 3],
    ]);
    // Exponential backoff with jitter: between half and all of 4, then 8 ms.
    const delays = options.metrics.filter((m) => m.event === 'lost').map((m) => m.delayMs!);
    expect(delays[0]).toBeGreaterThanOrEqual(2);
    expect(delays[0]).toBeLessThanOrEqual(4);
    expect(delays[1]).toBeGreaterThanOrEqual(4);
    expect(delays[1]).toBeLessThanOrEqual(8);
    const warnings = logs.filter((r) => r.msg === 'test.STT: connection failed; reconnecting');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ level: 40, label: 'test.STT', attempt: 1 });
    expect(warnings[0]!.delayMs).toBeTypeOf('number');
    expect(warnings[0]!.error).toContain('closed the connection');
    expect(JSON.stringify(logs)).not.toContain('secret');
    await srv.allClosed();
    expect(srv.openClients).toBe(0);
  });

  it('rejects open() with the last error once retries run out', async () => {
    const refusing = await refusingServer(() => ({ status: 503, body: 'overloaded' }));
    cleanups.push(() => refusing.close());
    const options = socketOptions(refusing.url, {
      connectOptions: { maxRetry: 2, retryIntervalMs: 1, timeoutMs: scaledMs(5_000) },
    });
    const socket = track(new ReconnectingSocket(options));
    const error = (await socket.open().catch((e: unknown) => e)) as APIStatusError;
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error.status).toBe(503);
    expect(error.message).toContain('overloaded');
    expect(refusing.attempts()).toBe(3);
    await expect(socket.done).rejects.toBe(error);
  });
});

describe('ReconnectingSocket: refused handshakes', () => {
  it('stops at once on 401 with a message naming apiKeyName', async () => {
    const refusing = await refusingServer(() => ({
      status: 401,
      body: '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}',
    }));
    cleanups.push(() => refusing.close());
    const options = socketOptions(refusing.url, { apiKeyName: 'DEEPGRAM_API_KEY' });
    const socket = track(new ReconnectingSocket(options));
    const error = (await socket.open().catch((e: unknown) => e)) as APIStatusError;
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(401);
    expect(error.message).toContain('DEEPGRAM_API_KEY');
    expect(error.message).toContain('test.STT');
    expect(refusing.attempts()).toBe(1);
    expect(options.metrics.map((m) => m.event)).toEqual(['gave_up']);
    expect(socket.state).toBe('closed');
  });

  it.each([400, 403, 422])('stops at once on %i, quoting the body', async (status) => {
    const refusing = await refusingServer(() => ({ status, body: 'unknown model "nova-99"' }));
    cleanups.push(() => refusing.close());
    const socket = track(new ReconnectingSocket(socketOptions(refusing.url)));
    const error = (await socket.open().catch((e: unknown) => e)) as APIStatusError;
    expect(error.status).toBe(status);
    expect(error.retryable).toBe(false);
    if (status !== 403) expect(error.message).toContain('unknown model "nova-99"');
    expect(refusing.attempts()).toBe(1);
  });

  it('lets describeRefusal decide', async () => {
    const refusing = await refusingServer((n) =>
      n === 0 ? { status: 400, body: 'busy' } : 'upgrade',
    );
    cleanups.push(() => refusing.close());
    const seen: number[] = [];
    const socket = track(
      new ReconnectingSocket(
        socketOptions(refusing.url, {
          describeRefusal: (refusal) => {
            seen.push(refusal.status);
            expect(refusal.body).toBe('busy');
            expect(refusal.headers['content-type']).toBe('application/json');
            return new APIStatusError('retry me', { status: refusal.status, retryable: true });
          },
        }),
      ),
    );
    await socket.open();
    expect(seen).toEqual([400]);
    expect(refusing.attempts()).toBe(2);
  });

  it('retries 429 after the retry-after the server asks for', async () => {
    const refusing = await refusingServer((n) =>
      n === 0 ? { status: 429, body: 'slow down', headers: { 'retry-after': '0.2' } } : 'upgrade',
    );
    cleanups.push(() => refusing.close());
    const options = socketOptions(refusing.url, { maxIntervalMs: 10_000 });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    const lost = options.metrics.find((m) => m.event === 'lost')!;
    expect(lost.delayMs).toBeGreaterThanOrEqual(200);
    expect(lost.error).toContain('429');
    expect(options.metrics.map((m) => m.event)).toEqual(['lost', 'reconnected']);
  });
});
