import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { utils } from '@agents/core';
import { scaledMs } from '@agents/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, LIVE_BUFFER_SECONDS, REPLAY_WINDOW_SECONDS } from '../src/connection.js';
import { resolveOptions } from '../src/options.js';
import { TranscriptMapper } from '../src/transcripts.js';

const CHUNK_SECONDS = 0.05;
const CHUNK = new Uint8Array(CHUNK_SECONDS * 16_000 * 2);
/** Far more than the kernel's socket buffers take (a few MB): without backpressure it all goes into memory. */
const FEED_LIMIT_SECONDS = 30 * 60;
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * A websocket endpoint that completes the handshake and then reads nothing
 * (a service that stalled, or a network that stopped moving) until `resume(i)`.
 */
class PausedService {
  readonly #server: Server;
  readonly #sockets: Socket[] = [];
  readonly #arrivals: utils.Future<Socket>[] = [];
  /** Bytes read per connection, once resumed. */
  readonly received: number[] = [];

  private constructor() {
    this.#server = createServer((_req, res) => res.writeHead(404).end());
    this.#server.on('upgrade', (req, socket: Socket) => {
      const accept = createHash('sha1')
        .update(`${req.headers['sec-websocket-key']}${WS_GUID}`)
        .digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      socket.pause();
      socket.on('error', () => {});
      const index = this.#sockets.push(socket) - 1;
      this.received[index] = 0;
      this.#arrival(index).resolve(socket);
    });
  }

  static async start(): Promise<PausedService> {
    const service = new PausedService();
    await new Promise<void>((resolve) => service.#server.listen(0, '127.0.0.1', resolve));
    return service;
  }

  get url(): string {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('the service is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** The `index`th connection (0 first), once it arrives. */
  connection(index: number): Promise<Socket> {
    return utils.withDeadline(
      this.#arrival(index).promise,
      scaledMs(10_000),
      `connection ${index} never arrived`,
    );
  }

  /** Reads connection `index` from now on; resolves once it has read `bytes` in all. */
  async readUntil(index: number, bytes: number): Promise<void> {
    const socket = await this.connection(index);
    const enough = new utils.Future<void>();
    socket.on('data', (data: Buffer) => {
      this.received[index]! += data.length;
      if (this.received[index]! >= bytes) enough.resolve();
    });
    socket.resume();
    await utils.withDeadline(
      enough.promise,
      scaledMs(10_000),
      `connection ${index} got ${this.received[index]} of ${bytes} bytes`,
    );
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #arrival(index: number): utils.Future<Socket> {
    this.#arrivals[index] ??= new utils.Future<Socket>();
    return this.#arrivals[index];
  }
}

let service: PausedService | undefined;
const connections: Connection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close()));
  await service?.close();
  service = undefined;
});

async function connect(timeoutMs = scaledMs(30_000)): Promise<Connection> {
  service = await PausedService.start();
  const options = resolveOptions(
    { apiKey: 'dg-test', baseURL: service.url, connectOptions: { timeoutMs, maxRetry: 3 } },
    'deepgram.STT',
  );
  const connection = new Connection({
    label: 'deepgram.STT',
    options,
    language: 'en-US',
    startsAt: 0,
    mapper: new TranscriptMapper('en-US'),
    onEvents: () => {},
    onMetrics: () => {},
    signal: new AbortController().signal,
  });
  connections.push(connection);
  await connection.open();
  return connection;
}

/** Sends audio as `SpeechStream` does (asking for room first) until it is told to wait. */
async function feedUntilWait(connection: Connection) {
  for (let at = 0; at < FEED_LIMIT_SECONDS; at += CHUNK_SECONDS) {
    const wait = connection.roomFor(CHUNK_SECONDS);
    if (wait) return { wait, fedSeconds: at };
    connection.sendAudio(at, CHUNK);
    // Let the socket write and report, as a real feed's awaits do.
    if (Math.round(at / CHUNK_SECONDS) % 20 === 0) await new Promise(setImmediate);
  }
  throw new Error(
    `${FEED_LIMIT_SECONDS} s of audio went into a socket the service does not read, ` +
      'without the writer ever being made to wait',
  );
}

const settles = (promise: Promise<unknown>, what: string) =>
  utils.withDeadline(
    promise.then(
      () => 'resolved',
      () => 'rejected',
    ),
    scaledMs(10_000),
    `${what} did not settle`,
  );

describe('deepgram Connection: backpressure on the live socket', () => {
  it('makes the writer wait while the service reads nothing, and lets it go once it reads', async () => {
    const connection = await connect();
    const { wait, fedSeconds } = await feedUntilWait(connection);
    // Well short of the limit: what waits unsent is bounded (the kernel holds the rest).
    expect(fedSeconds).toBeGreaterThan(LIVE_BUFFER_SECONDS);

    // All of it goes out, nothing dropped: the service gets every byte that was fed.
    const fedBytes = Math.round(fedSeconds / CHUNK_SECONDS) * CHUNK.byteLength;
    await service!.readUntil(0, fedBytes);
    expect(await settles(wait, 'the wait, once the service reads')).toBe('resolved');
  });

  it('releases a waiting writer when the connection is closed', async () => {
    const connection = await connect();
    const { wait } = await feedUntilWait(connection);
    await connection.close();
    expect(await settles(wait, 'the wait, after close()')).toBe('resolved');
  });

  it('drops a connection that takes no data for timeoutMs and replays the window on a new one', async () => {
    const connection = await connect(scaledMs(1_000));
    const { wait } = await feedUntilWait(connection);
    // Connection 0 never reads: it is found stalled, dropped, and the wait released.
    expect(await settles(wait, 'the wait on a stalled connection')).toBe('resolved');
    // The unsettled audio (the whole replay window: nothing was answered) goes to the new one.
    await service!.readUntil(1, REPLAY_WINDOW_SECONDS * 16_000 * 2);
  });
});
