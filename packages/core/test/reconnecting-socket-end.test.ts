import { afterEach, describe, expect, it } from 'vitest';
import { APIConnectionError } from '../src/errors.js';
import { initializeLogger } from '../src/log.js';
import { StreamClosedError } from '../src/utils/async-stream.js';
import type { OpenSocket } from '../src/utils/reconnecting-socket.js';
import {
  activeTimers,
  captureLogs,
  ReconnectingSocket,
  refusingServer,
  type ServerConnection,
  silentServer,
  socketOptions,
  TestServer,
  until,
  within,
} from './reconnecting-socket-helpers.js';
import { scaledMs } from './time.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
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

/** Answers 'CloseStream' as a provider does: its last messages, then a clean close. */
function answerCloseStream(c: ServerConnection): void {
  c.ws.on('message', (data) => {
    if (data.toString() !== 'CloseStream') return;
    c.ws.send(`last-${c.index}-a`);
    c.ws.send(`last-${c.index}-b`);
    c.ws.close(1000);
  });
}

/** Cuts the connection (no close frame) as soon as it receives 'CloseStream'. */
function dropOnCloseStream(c: ServerConnection): void {
  c.ws.on('message', (data) => data.toString() === 'CloseStream' && c.ws.terminate());
}

describe('ReconnectingSocket: end and close', () => {
  it('end() sends the final message and receives the last messages until the server closes', async () => {
    const srv = await server((c) =>
      c.ws.on('message', (data) => {
        if (data.toString() !== 'CloseStream') return;
        c.ws.send('last-1');
        c.ws.send('last-2');
        c.ws.close(1000);
      }),
    );
    const options = socketOptions(srv.url);
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    socket.send('audio');
    const ending = socket.end({ finalMessage: 'CloseStream', timeoutMs: scaledMs(5_000) });
    expect(socket.state).toBe('ending');
    expect(() => socket.send('late')).toThrow(StreamClosedError);
    await ending;
    await socket.done;
    expect(options.messages).toEqual(['last-1', 'last-2']);
    expect(socket.state).toBe('closed');
    await srv.allClosed();
    expect(srv.connections).toHaveLength(1);
    expect(srv.openClients).toBe(0);
  });

  it('end() resolves at its deadline if the server never closes, and terminates the socket', async () => {
    const logs = captureLogs();
    const timers = activeTimers();
    const srv = await server();
    const socket = track(new ReconnectingSocket(socketOptions(srv.url)));
    await socket.open();
    await socket.end({ finalMessage: 'CloseStream', timeoutMs: 50 });
    expect(socket.state).toBe('closed');
    const conn = await srv.connection(0);
    expect(await conn.closed).toBe(1006);
    expect(conn.received).toEqual(['CloseStream']);
    expect(logs.some((r) => String(r.msg).includes('did not close within 50 ms'))).toBe(true);
    expect(srv.openClients).toBe(0);
    expect(activeTimers()).toBeLessThanOrEqual(timers);
  });

  it('end() without a final message is a close handshake', async () => {
    const srv = await server();
    const socket = track(new ReconnectingSocket(socketOptions(srv.url)));
    await socket.open();
    await socket.end({ timeoutMs: scaledMs(5_000) });
    expect(await srv.connections[0]!.closed).toBe(1000);
  });

  it('end() while down reconnects to deliver the buffered messages and the final message', async () => {
    const srv = await server((c) => {
      if (c.index === 0) c.ws.terminate();
      else c.ws.on('message', (data) => data.toString() === 'bye' && c.ws.close(1000));
    });
    let socket!: ReconnectingSocket;
    let ending: Promise<void> | undefined;
    const options = socketOptions(srv.url, {
      onOpen: (s) => s.send(`init-${s.generation}`),
      onLost: () => {
        socket.send('buffered');
        ending = socket.end({ finalMessage: 'bye', timeoutMs: scaledMs(5_000) });
      },
    });
    socket = track(new ReconnectingSocket(options));
    await socket.open();
    const second = await srv.connection(1);
    await until(() => ending !== undefined, 'end()');
    await ending;
    expect(second.received).toEqual(['init-1', 'buffered', 'bye']);
    expect(await second.closed).toBe(1000);
  });

  it('end() while down gives up at its deadline with a warning naming what was lost', async () => {
    const END_MS = scaledMs(1000);
    const logs = captureLogs();
    const timers = activeTimers();
    const refusing = await refusingServer((n) => (n === 0 ? 'upgrade' : { status: 503 }));
    cleanups.push(() => refusing.close());
    refusing.wss.on('connection', (ws) => ws.terminate());
    let socket!: ReconnectingSocket;
    let ending: Promise<void> | undefined;
    const options = socketOptions(refusing.url, {
      connectOptions: { maxRetry: 1_000, retryIntervalMs: 5, timeoutMs: scaledMs(5_000) },
      onLost: () => {
        socket.send('buffered');
        // Long enough for a retry to be tried even on a busy machine.
        ending = socket.end({ finalMessage: 'bye', timeoutMs: END_MS });
      },
    });
    socket = track(new ReconnectingSocket(options));
    await socket.open();
    await until(() => ending !== undefined, 'end()');
    await ending;
    await socket.done;
    const warning = logs.find((r) =>
      String(r.msg).includes(`could not reconnect within ${END_MS} ms`),
    );
    expect(warning?.msg).toContain('lost 1 buffered messages (8 bytes) and the final message');
    expect(refusing.attempts()).toBeGreaterThan(1);
    expect(socket.state).toBe('closed');
    expect(activeTimers()).toBeLessThanOrEqual(timers);
  });

  it('close() while connecting settles open() and leaves no socket', async () => {
    const silent = await silentServer();
    cleanups.push(() => silent.close());
    const socket = new ReconnectingSocket(socketOptions(silent.url));
    const opening = socket.open();
    await until(() => silent.sockets.length === 1, 'the handshake');
    await socket.close();
    await expect(opening).rejects.toBeInstanceOf(StreamClosedError);
    await socket.done;
    await within(
      new Promise((r) =>
        silent.sockets[0]!.closed ? r(null) : silent.sockets[0]!.once('close', r),
      ),
      'close',
    );
  });

  it('aborting the signal closes like close()', async () => {
    const srv = await server();
    const controller = new AbortController();
    const socket = track(
      new ReconnectingSocket(socketOptions(srv.url, { signal: controller.signal })),
    );
    await socket.open();
    controller.abort();
    expect(socket.state).toBe('closed');
    await socket.done;
    expect(await srv.connections[0]!.closed).toBe(1000);
    expect(srv.openClients).toBe(0);
  });

  it('end() before open() just closes', async () => {
    const socket = new ReconnectingSocket(socketOptions('ws://127.0.0.1:9/'));
    await socket.end({ timeoutMs: 10 });
    expect(socket.state).toBe('closed');
    await expect(socket.open()).rejects.toBeInstanceOf(StreamClosedError);
  });
});

describe('ReconnectingSocket: a drop while ending', () => {
  it('reconnects, runs onOpen, sends the final message again and resolves after the clean close', async () => {
    const srv = await server((c) => (c.index === 0 ? dropOnCloseStream(c) : answerCloseStream(c)));
    const lost: Error[] = [];
    const options = socketOptions(srv.url, {
      onOpen: (s) => s.send(`init-${s.generation}`),
      onLost: (error) => lost.push(error),
    });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    socket.send('audio');
    await socket.end({ finalMessage: 'CloseStream', timeoutMs: scaledMs(5_000) });

    // Resolved only once the second connection's last messages were in.
    expect(options.messages).toEqual(['last-1-a', 'last-1-b']);
    expect(srv.connections).toHaveLength(2);
    expect(srv.connections[0]!.received).toEqual(['init-0', 'audio', 'CloseStream']);
    expect(await srv.connections[0]!.closed).toBe(1006);
    expect(srv.connections[1]!.received).toEqual(['init-1', 'CloseStream']);
    expect(await srv.connections[1]!.closed).toBe(1000);
    expect(lost).toHaveLength(1);
    expect(options.metrics.map((m) => m.event)).toEqual(['lost', 'reconnected']);
    expect(socket.state).toBe('closed');
    await socket.done;
  });

  it('reconnects after a drop while ending without a final message (a close handshake)', async () => {
    const srv = await server();
    // The first connection is cut when our close frame (opcode 8) arrives, before the server answers it.
    srv.wss.once('connection', (_ws, request) => {
      request.socket.prependListener('data', (chunk: Buffer) => {
        if ((chunk[0]! & 0x0f) === 0x8) request.socket.destroy();
      });
    });
    const socket = track(new ReconnectingSocket(socketOptions(srv.url)));
    await socket.open();
    await socket.end({ timeoutMs: scaledMs(5_000) });
    expect(srv.connections).toHaveLength(2);
    expect(await srv.connections[1]!.closed).toBe(1000);
  });

  it('gives up at the deadline of the whole end when every connection drops, with a warning', async () => {
    const logs = captureLogs();
    const timers = activeTimers();
    const srv = await server(dropOnCloseStream);
    const options = socketOptions(srv.url, {
      connectOptions: { maxRetry: 1_000_000, retryIntervalMs: 5, timeoutMs: scaledMs(5_000) },
    });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    const timeoutMs = scaledMs(300);
    // Resolves (not rejects): the deadline, not a give-up, ended it.
    await socket.end({ finalMessage: 'CloseStream', timeoutMs });
    await socket.done;
    expect(socket.state).toBe('closed');
    expect(srv.connections.length).toBeGreaterThan(1);
    for (const c of srv.connections) {
      expect(c.received.filter((m) => m === 'CloseStream').length).toBeLessThanOrEqual(1);
    }
    // The deadline finds it reconnecting, or waiting on a connection that is about to drop.
    const warning = logs.find((r) => r.timeoutMs === timeoutMs);
    expect(warning).toMatchObject({ level: 40 });
    expect(warning!.drops).toBeGreaterThan(0);
    expect(warning!.msg).toMatch(/the connection dropped \d+ times while ending/);
    await srv.allClosed();
    expect(srv.openClients).toBe(0);
    expect(activeTimers()).toBeLessThanOrEqual(timers);
  });

  it('rejects end() and done once retries run out while ending', async () => {
    const srv = await server(dropOnCloseStream);
    const options = socketOptions(srv.url, {
      connectOptions: { maxRetry: 2, retryIntervalMs: 5, timeoutMs: scaledMs(5_000) },
    });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    const ending = socket.end({ finalMessage: 'CloseStream', timeoutMs: scaledMs(10_000) });
    await expect(ending).rejects.toBeInstanceOf(APIConnectionError);
    await expect(socket.done).rejects.toBeInstanceOf(APIConnectionError);
    // The first connection and two retries, each cut after its CloseStream.
    expect(srv.connections).toHaveLength(3);
    expect(options.metrics.map((m) => m.event)).toEqual([
      'lost',
      'reconnected',
      'lost',
      'reconnected',
      'gave_up',
    ]);
  });
});

describe('ReconnectingSocket: OpenSocket after onOpen', () => {
  it('sends for the life of its connection, then returns false and sends nothing', async () => {
    const logs = captureLogs();
    const srv = await server((c) => {
      if (c.index === 0)
        c.ws.on('message', (data) => data.toString() === 'cut' && c.ws.terminate());
      else answerCloseStream(c);
    });
    const wires: OpenSocket[] = [];
    const whileLost: boolean[] = [];
    const options = socketOptions(srv.url, {
      // The caller replays its own state: no replay buffer.
      bufferLimitBytes: 0,
      onOpen: (s) => {
        wires.push(s);
      },
      onLost: () => whileLost.push(wires[0]!.send('while-lost')),
    });
    const socket = track(new ReconnectingSocket(options));
    await socket.open();
    const first = await srv.connection(0);
    expect(wires[0]!.send('after-onOpen')).toBe(true);
    expect(await first.waitForMessages(1)).toEqual(['after-onOpen']);

    expect(wires[0]!.send('cut')).toBe(true);
    const second = await srv.connection(1);
    await until(() => socket.state === 'open', 'open again');
    expect(whileLost).toEqual([false]);
    expect(wires[0]!.send('stale')).toBe(false);
    expect(wires[1]!.send('fresh')).toBe(true);
    expect(await second.waitForMessages(1)).toEqual(['fresh']);

    const ending = socket.end({ finalMessage: 'CloseStream', timeoutMs: scaledMs(5_000) });
    // Nothing may follow the final message on its connection.
    expect(wires[1]!.send('after-end')).toBe(false);
    await ending;
    expect(second.received).toEqual(['fresh', 'CloseStream']);
    expect(first.received).toEqual(['after-onOpen', 'cut']);
    expect(logs.filter((r) => r.droppedMessages !== undefined)).toEqual([]);
  });
});
