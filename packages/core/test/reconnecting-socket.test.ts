import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { APIConnectionError, APIStatusError, APITimeoutError } from '../src/errors.js';
import { initializeLogger } from '../src/log.js';
import { StreamClosedError } from '../src/utils/async-stream.js';
import {
  activeTimers,
  captureLogs,
  ReconnectingSocket,
  refusingServer,
  silentServer,
  socketOptions,
  TestServer,
  until,
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
    const timers = activeTimers();
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
    expect(activeTimers()).toBeLessThanOrEqual(timers);
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
    const timers = activeTimers();
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
    expect(socket.state).toBe('closed');
    expect(activeTimers()).toBeLessThanOrEqual(timers);
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

  it('stops at once on 404 naming the URL without its token', async () => {
    const logs = captureLogs();
    const refusing = await refusingServer(() => ({ status: 404, body: 'no such path' }));
    cleanups.push(() => refusing.close());
    const socket = track(new ReconnectingSocket(socketOptions(refusing.url)));
    const error = (await socket.open().catch((e: unknown) => e)) as APIStatusError;
    expect(error.status).toBe(404);
    expect(error.message).toContain('/v1/stream?token=%5Bredacted%5D');
    expect(error.message).not.toContain('secret');
    expect(JSON.stringify(logs)).not.toContain('secret');
    expect(logs.some((r) => r.level === 40 && String(r.msg).includes('giving up'))).toBe(true);
  });

  it('counts a throw in onOpen as a failed attempt', async () => {
    const srv = await server();
    const options = socketOptions(srv.url, {
      onOpen: (s) => {
        if (s.generation === 0) throw new Error('context refused');
      },
    });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    expect(srv.connections).toHaveLength(2);
    expect(options.metrics[0]!.error).toContain('onOpen failed: context refused');
    expect(await srv.connections[0]!.closed).toBe(1006);
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

describe('ReconnectingSocket: keepalive', () => {
  it('sends the keepalive message only after intervalMs with nothing sent', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const srv = await server();
    let keepalives = 0;
    const socket = track(
      new ReconnectingSocket(
        socketOptions(srv.url, {
          keepalive: {
            intervalMs: 50,
            message: () => {
              keepalives++;
              return '{"type":"KeepAlive"}';
            },
          },
        }),
      ),
    );
    await socket.open();
    // Sending every 40 ms: the connection is never idle for 50 ms.
    for (const data of ['a', 'b', 'c']) {
      await vi.advanceTimersByTimeAsync(40);
      socket.send(data);
    }
    await vi.advanceTimersByTimeAsync(45);
    expect(keepalives).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(keepalives).toBe(1);
    socket.send('d');
    const conn = await srv.connection(0);
    expect(await conn.waitForMessages(5)).toEqual(['a', 'b', 'c', '{"type":"KeepAlive"}', 'd']);
    await socket.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(await conn.closed).toBe(1000);
  });

  it('sends a websocket ping when there is no keepalive message', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const srv = await server();
    const socket = track(
      new ReconnectingSocket(socketOptions(srv.url, { keepalive: { intervalMs: 50 } })),
    );
    await socket.open();
    const conn = await srv.connection(0);
    let pings = 0;
    conn.ws.on('ping', () => pings++);
    await vi.advanceTimersByTimeAsync(60);
    await until(() => pings === 1, 'a ping');
    expect(conn.received).toEqual([]);
  });
});

describe('ReconnectingSocket: drops', () => {
  it('reconnects after an unexpected close, runs onOpen again, then replays what was sent while down', async () => {
    const srv = await server((c) => {
      if (c.index === 0) c.ws.on('message', () => c.ws.close(1000, 'bye'));
    });
    let socket!: ReconnectingSocket;
    const generations: number[] = [];
    const lost: Error[] = [];
    const options = socketOptions(srv.url, {
      onOpen: (s) => {
        generations.push(s.generation);
        s.send(`init-${s.generation}`);
      },
      onLost: (error) => {
        lost.push(error);
        expect(socket.state).not.toBe('open');
        socket.send('down-1');
        socket.send(new Uint8Array([7]));
      },
    });
    socket = track(new ReconnectingSocket(options));
    await socket.open();
    const second = await srv.connection(1);
    const received = await second.waitForMessages(3);
    expect(received.slice(0, 2)).toEqual(['init-1', 'down-1']);
    expect([...(received[2] as Buffer)]).toEqual([7]);
    expect(generations).toEqual([0, 1]);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(APIConnectionError);
    expect(lost[0]!.message).toContain('closed the connection (1000: bye)');
    expect(options.metrics.map((m) => m.event)).toEqual(['lost', 'reconnected']);
    expect(options.metrics[1]!.downtimeMs).toBeTypeOf('number');
    await until(() => socket.state === 'open', 'open again');
    socket.send('after');
    await second.waitForMessages(4);
    expect(second.received[3]).toBe('after');
  });

  it('closing from onLost stops there: no retry, no lost metric, no warning', async () => {
    const logs = captureLogs();
    const srv = await server((c) => c.ws.terminate());
    let socket!: ReconnectingSocket;
    const options = socketOptions(srv.url, { onLost: () => void socket.close() });
    socket = track(new ReconnectingSocket(options));
    await socket.open();
    await socket.done;
    expect(socket.state).toBe('closed');
    expect(srv.connections).toHaveLength(1);
    expect(options.metrics).toEqual([]);
    expect(logs.filter((r) => String(r.msg).includes('reconnecting'))).toEqual([]);
  });

  it('drops the oldest on overflow with one warning per outage that counts them', async () => {
    const logs = captureLogs();
    const srv = await server((c) => {
      if (c.index === 0) c.ws.terminate();
    });
    let socket!: ReconnectingSocket;
    const options = socketOptions(srv.url, {
      bufferLimitBytes: 10,
      onLost: () => {
        for (const data of ['m1__', 'm2__', 'm3__', 'm4__', 'm5__']) socket.send(data);
      },
    });
    socket = track(new ReconnectingSocket(options));
    await socket.open();
    const second = await srv.connection(1);
    expect(await second.waitForMessages(2)).toEqual(['m4__', 'm5__']);
    const warnings = logs.filter((r) => r.droppedMessages !== undefined);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 40, droppedMessages: 3, droppedBytes: 12 });
    expect(warnings[0]!.msg).toContain('3 messages (12 bytes)');
  });

  it('reconnects when a send fails, and sends that message again', async () => {
    const srv = await server();
    const options = socketOptions(srv.url, { onOpen: (s) => s.send(`init-${s.generation}`) });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    const first = await srv.connection(0);
    await first.waitForMessages(1);
    const send = vi.spyOn(WebSocket.prototype, 'send').mockImplementationOnce(((
      _data: unknown,
      cb: (error?: Error) => void,
    ) => {
      cb(new Error('write EPIPE'));
    }) as WebSocket['send']);
    socket.send('payload');
    expect(send).toHaveBeenCalledTimes(1);
    const second = await srv.connection(1);
    expect(await second.waitForMessages(2)).toEqual(['init-1', 'payload']);
    expect(options.metrics[0]).toMatchObject({ event: 'lost', attempt: 1 });
    expect(options.metrics[0]!.error).toContain('write EPIPE');
    expect(first.received).toEqual(['init-0']);
  });

  it('treats a missed expectReply deadline as a drop', async () => {
    const srv = await server();
    const lost: Error[] = [];
    const options = socketOptions(srv.url, { onLost: (error) => lost.push(error) });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    socket.send('Finalize');
    socket.expectReply(50);
    await srv.connection(1);
    expect(lost[0]).toBeInstanceOf(APITimeoutError);
    expect(lost[0]!.message).toContain('no message from the server within 50 ms');
    expect(await srv.connections[0]!.closed).toBe(1006);
  });

  it('disarms expectReply on any message', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const srv = await server((c) => c.ws.on('message', () => c.ws.send('result')));
    const lost: Error[] = [];
    const options = socketOptions(srv.url, { onLost: (error) => lost.push(error) });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    socket.send('Finalize');
    socket.expectReply(50);
    await until(() => options.messages.length === 1, 'the reply');
    await vi.advanceTimersByTimeAsync(100);
    expect(lost).toEqual([]);
    expect(socket.state).toBe('open');
    expect(srv.connections).toHaveLength(1);
    await socket.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
