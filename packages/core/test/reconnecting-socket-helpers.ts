import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { initializeLogger } from '../src/log.js';
import type { ConnectionMetrics } from '../src/metrics/base.js';
import {
  ReconnectingSocket,
  type ReconnectingSocketOptions,
} from '../src/utils/reconnecting-socket.js';
import { scaledMs } from './time.js';

/** Log records written while a test runs (JSON lines parsed). */
export function captureLogs(): Array<Record<string, unknown>> {
  const records: Array<Record<string, unknown>> = [];
  initializeLogger({
    level: 'debug',
    pretty: false,
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        records.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  });
  return records;
}

/** Resolves at the next `event` of `emitter`, or rejects past a generous deadline. */
export function nextEvent<T = unknown>(
  emitter: { once(event: string, listener: (...args: never[]) => void): unknown },
  event: string,
): Promise<T> {
  return within(
    new Promise<T>((resolve) => emitter.once(event, ((value: T) => resolve(value)) as never)),
    `${event}`,
  );
}

/** `promise`, or a rejection naming `what` after 10 s (scaled). */
export async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), scaledMs(10_000));
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (on I/O, not on a timer) until `condition` holds. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  await within(
    (async () => {
      while (!condition()) await new Promise((resolve) => setImmediate(resolve));
    })(),
    what,
  );
}

export interface ServerConnection {
  ws: WebSocket;
  index: number;
  received: Array<string | Buffer>;
  /** Resolves when this connection has received `count` messages. */
  waitForMessages(count: number): Promise<Array<string | Buffer>>;
  closed: Promise<number>;
}

/** A local websocket server that records every connection and its messages. */
export class TestServer {
  readonly wss: WebSocketServer;
  readonly connections: ServerConnection[] = [];
  readonly #waiters: Array<() => void> = [];

  private constructor(wss: WebSocketServer, onConnection?: (connection: ServerConnection) => void) {
    this.wss = wss;
    wss.on('connection', (ws) => {
      const received: Array<string | Buffer> = [];
      const listeners: Array<() => void> = [];
      const connection: ServerConnection = {
        ws,
        index: this.connections.length,
        received,
        waitForMessages: (count) =>
          within(
            new Promise((resolve) => {
              const check = () => {
                if (received.length < count) return false;
                resolve(received);
                return true;
              };
              if (!check()) listeners.push(() => void check());
            }),
            `${count} messages on connection ${this.connections.length}`,
          ),
        closed: new Promise((resolve) => ws.once('close', (code: number) => resolve(code))),
      };
      ws.on('message', (data, isBinary) => {
        received.push(isBinary ? (data as Buffer) : data.toString());
        for (const listener of listeners) listener();
      });
      this.connections.push(connection);
      onConnection?.(connection);
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
  }

  static async start(onConnection?: (connection: ServerConnection) => void): Promise<TestServer> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await nextEvent(wss, 'listening');
    return new TestServer(wss, onConnection);
  }

  get url(): string {
    const address = this.wss.address();
    if (!address || typeof address === 'string') throw new Error('unexpected address');
    return `ws://127.0.0.1:${address.port}/v1/listen?token=secret-token`;
  }

  /** Clients still connected (server side). */
  get openClients(): number {
    return this.wss.clients.size;
  }

  async connection(index: number): Promise<ServerConnection> {
    while (this.connections.length <= index) {
      await within(
        new Promise<void>((resolve) => this.#waiters.push(resolve)),
        `connection ${index}`,
      );
    }
    return this.connections[index]!;
  }

  /** Resolves once every client has gone. */
  async allClosed(): Promise<void> {
    await within(Promise.all(this.connections.map((c) => c.closed)), 'clients to close');
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
  }
}

/** An HTTP server that answers every upgrade with `status` (or with what `answer` says per attempt). */
export async function refusingServer(
  answer: (
    attempt: number,
  ) => { status: number; body?: string; headers?: Record<string, string> } | 'upgrade',
): Promise<{
  url: string;
  attempts: () => number;
  close: () => Promise<void>;
  wss: WebSocketServer;
}> {
  const wss = new WebSocketServer({ noServer: true });
  let attempts = 0;
  const server: Server = createServer();
  server.on('upgrade', (request, socket, head) => {
    const reply = answer(attempts++);
    if (reply === 'upgrade') {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      return;
    }
    const body = reply.body ?? '';
    const headers = Object.entries({ 'content-type': 'application/json', ...reply.headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 ${reply.status} Refused\r\n${headers}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  server.listen(0, '127.0.0.1');
  await nextEvent(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('unexpected address');
  return {
    url: `ws://127.0.0.1:${address.port}/v1/stream?token=secret-token`,
    attempts: () => attempts,
    wss,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A TCP server that accepts connections and never answers: a handshake that hangs. */
export async function silentServer(): Promise<{
  url: string;
  sockets: Socket[];
  openSockets: () => number;
  close: () => Promise<void>;
}> {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    // Read (and ignore) the upgrade request, so the client's FIN is seen as 'end'.
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await nextEvent(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('unexpected address');
  return {
    url: `ws://127.0.0.1:${address.port}/`,
    sockets,
    openSockets: () => sockets.filter((s) => !s.destroyed && !s.readableEnded).length,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Options for a socket with small, fast backoff; the test overrides what it exercises. */
export function socketOptions(
  url: string,
  overrides: Partial<ReconnectingSocketOptions> = {},
): ReconnectingSocketOptions & {
  metrics: ConnectionMetrics[];
  messages: Array<string | Uint8Array>;
} {
  const metrics: ConnectionMetrics[] = [];
  const messages: Array<string | Uint8Array> = [];
  return {
    label: 'test.STT',
    request: () => ({ url, headers: { Authorization: 'Token secret-key' } }),
    connectOptions: { maxRetry: 3, retryIntervalMs: 5, timeoutMs: scaledMs(5_000) },
    maxIntervalMs: 20,
    bufferLimitBytes: 1024,
    onMessage: (data) => messages.push(data),
    onMetrics: (m) => metrics.push(m),
    ...overrides,
    metrics,
    messages,
  };
}

export { ReconnectingSocket };

/** Timers alive now (real timers); compare before and after to find one left behind. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
