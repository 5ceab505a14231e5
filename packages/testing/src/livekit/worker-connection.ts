import { type Logger, log } from '@agents/core';
import {
  type RegisterWorkerRequest,
  RegisterWorkerResponse,
  type ServerInfo,
  ServerMessage,
  WorkerMessage,
  WorkerPong,
} from '@livekit/protocol';
import type { RawData, WebSocket } from 'ws';
import type { MessageLog } from './message-log.js';

export interface ConnectionLimits {
  /** Close a connection that has not registered by then (real server: 10 s). */
  registerTimeoutMs: number;
  /** Websocket ping frames this often (real server: 10 s). Missing pongs are not acted on. */
  pingIntervalMs: number;
  /** Frames held for a stalled connection; one more and the connection is cut. */
  maxHeldFrames: number;
  /** Bytes the socket may have queued for a worker that does not read; past this it is cut. */
  maxBufferedBytes: number;
}

/** What the agent endpoint does with a connection's messages; the connection only enforces order. */
export interface ConnectionHandler {
  /** A `register` on a fresh connection: call `connection.accept(...)` or `connection.close(...)`. */
  onRegister(connection: WorkerConnection, request: RegisterWorkerRequest): void;
  /** Any other message, after registration. `ping` is answered here and never passed on. */
  onMessage(connection: WorkerConnection, message: WorkerMessage): void;
  /** Called once, however the connection ended. */
  onClose(connection: WorkerConnection, reason: string): void;
}

type ConnectionState = 'awaiting_register' | 'registered' | 'closed';

/**
 * One worker's websocket, seen from the server: decodes frames, enforces the
 * message order the real server enforces (register first, once; nothing
 * unknown), answers pings, and writes replies in the format of the last frame
 * received (binary protobuf, or protojson text). Every way it ends goes
 * through `#finish`, which clears its timers and tells the handler once.
 *
 * The server closes a connection without a close frame (the worker sees
 * 1006), as the real server's `conn.Close()` does.
 */
export class WorkerConnection {
  readonly id: string;
  /** The API key the worker authenticated with; its secret signs this worker's job tokens. */
  readonly apiKey: string;
  /** `protocol` query parameter of the upgrade request (default 1); recorded, not used. */
  readonly protocol: number;
  #workerId: string | undefined;
  #state: ConnectionState = 'awaiting_register';
  #format: 'binary' | 'text' = 'binary';
  #stalled = false;
  /** Writes held while stalled, replayed in order on resume. */
  readonly #held: (() => void)[] = [];
  readonly #ws: WebSocket;
  readonly #limits: ConnectionLimits;
  readonly #handler: ConnectionHandler;
  readonly #messages: MessageLog;
  readonly #log: Logger;
  readonly #registerTimer: NodeJS.Timeout;
  readonly #pingTimer: NodeJS.Timeout;

  constructor(init: {
    id: string;
    ws: WebSocket;
    apiKey: string;
    protocol: number;
    limits: ConnectionLimits;
    handler: ConnectionHandler;
    messages: MessageLog;
  }) {
    this.id = init.id;
    this.apiKey = init.apiKey;
    this.protocol = init.protocol;
    this.#ws = init.ws;
    this.#limits = init.limits;
    this.#handler = init.handler;
    this.#messages = init.messages;
    this.#log = log().child({ component: 'livekit-stand-in', connectionId: init.id });

    this.#registerTimer = setTimeout(
      () => this.close('no register message in time'),
      this.#limits.registerTimeoutMs,
    );
    this.#pingTimer = setInterval(() => {
      // A stalled server sends nothing, pings included.
      if (!this.#stalled && this.#ws.readyState === this.#ws.OPEN) this.#ws.ping();
    }, this.#limits.pingIntervalMs);

    this.#ws.on('message', (data, isBinary) => this.#onFrame(data, isBinary));
    this.#ws.on('error', (error) => this.#log.warn({ err: error }, 'agent websocket error'));
    this.#ws.on('close', (code) => this.#finish(`connection closed by the worker (${code})`));
  }

  get workerId(): string | undefined {
    return this.#workerId;
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  get stalled(): boolean {
    return this.#stalled;
  }

  /** Completes registration: the register response is the first message the worker gets. */
  accept(workerId: string, serverInfo: ServerInfo): void {
    if (this.#state !== 'awaiting_register') return;
    clearTimeout(this.#registerTimer);
    this.#workerId = workerId;
    this.#state = 'registered';
    this.send(
      new ServerMessage({
        message: { case: 'register', value: new RegisterWorkerResponse({ workerId, serverInfo }) },
      }),
    );
  }

  /** Sends a message; false if the connection is closed. */
  send(message: ServerMessage): boolean {
    return this.#write(() => {
      const text = this.#format === 'text';
      const payload = text ? message.toJsonString() : message.toBinary();
      const kind = message.message.case;
      if (kind === undefined) throw new TypeError('refusing to send a ServerMessage with no case');
      this.#messages.append({
        direction: 'to_worker',
        kind,
        message,
        connectionId: this.id,
        workerId: this.#workerId,
        format: this.#format,
      });
      this.#ws.send(payload, { binary: !text });
    });
  }

  /** Fault injection: a binary frame that is not a `ServerMessage`. */
  sendMalformed(bytes: Uint8Array): boolean {
    return this.#write(() => {
      this.#messages.append({
        direction: 'to_worker',
        kind: 'malformed',
        message: undefined,
        bytes: bytes.byteLength,
        error: 'sent on purpose (fault injection)',
        connectionId: this.id,
        workerId: this.#workerId,
        format: 'binary',
      });
      this.#ws.send(bytes, { binary: true });
    });
  }

  /**
   * Fault injection: the server stops answering this worker. It stops reading
   * the socket (so websocket pings from the worker go unanswered too), sends no
   * pings, and holds what it would have sent until `resume()`.
   */
  stall(): void {
    if (this.#state === 'closed' || this.#stalled) return;
    this.#stalled = true;
    this.#ws.pause();
  }

  resume(): void {
    if (!this.#stalled) return;
    this.#stalled = false;
    if (this.#state === 'closed') return;
    this.#ws.resume();
    for (const write of this.#held.splice(0)) write();
  }

  /** Ends the connection at once, without a close frame. Idempotent. */
  close(reason: string): void {
    if (this.#state === 'closed') return;
    this.#ws.terminate();
    this.#finish(reason);
  }

  #write(write: () => void): boolean {
    if (this.#state === 'closed') return false;
    if (this.#stalled) {
      if (this.#held.length >= this.#limits.maxHeldFrames) {
        this.close(`more than ${this.#limits.maxHeldFrames} frames held while stalled`);
        return false;
      }
      this.#held.push(write);
      return true;
    }
    write();
    // ws buffers without limit; a worker that stopped reading would grow it forever.
    if (this.#ws.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.close(`worker not reading: more than ${this.#limits.maxBufferedBytes} bytes queued`);
    }
    return true;
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let message: WorkerMessage;
    try {
      message = isBinary
        ? WorkerMessage.fromBinary(bytes)
        : WorkerMessage.fromJsonString(bytes.toString('utf8'), { ignoreUnknownFields: true });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#messages.append({
        direction: 'from_worker',
        kind: 'malformed',
        message: undefined,
        bytes: bytes.byteLength,
        error: reason,
        connectionId: this.id,
        workerId: this.#workerId,
        format: isBinary ? 'binary' : 'text',
      });
      // The real server's read loop ends on any read error, a decode error included.
      this.#log.warn({ err: error, bytes: bytes.byteLength }, 'undecodable frame from a worker');
      this.close(`undecodable frame: ${reason}`);
      return;
    }
    this.#format = isBinary ? 'binary' : 'text';
    const kind = message.message.case ?? 'empty';
    this.#messages.append({
      direction: 'from_worker',
      kind,
      message,
      connectionId: this.id,
      workerId: this.#workerId,
      format: this.#format,
    });
    this.#route(message);
  }

  #route(message: WorkerMessage): void {
    const { case: kind, value } = message.message;
    if (kind === 'ping') {
      const pong = new WorkerPong({
        lastTimestamp: value.timestamp,
        timestamp: BigInt(Date.now()),
      });
      this.send(new ServerMessage({ message: { case: 'pong', value: pong } }));
      return;
    }
    if (kind === undefined) {
      this.close('message with no known case');
      return;
    }
    if (kind === 'register') {
      if (this.#state === 'registered') this.close('second register message');
      else this.#handler.onRegister(this, value);
      return;
    }
    if (this.#state !== 'registered') {
      this.close(`${kind} before registration`);
      return;
    }
    this.#handler.onMessage(this, message);
  }

  #finish(reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#registerTimer);
    clearInterval(this.#pingTimer);
    this.#held.length = 0;
    this.#log.info({ workerId: this.#workerId, reason }, 'agent connection ended');
    this.#handler.onClose(this, reason);
  }
}
