import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Logger, log } from '@agents/core';
import type { ClaimGrants } from 'livekit-server-sdk';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Authenticator } from './auth.js';
import { Playground } from './playground/handler.js';
import type { JoinRefusal, RtcHost } from './rtc/host.js';
import { serveTwirp, type TwirpService } from './twirp.js';

/** The real server's read limit for one agent frame. */
const MAX_FRAME_BYTES = 2 * 1024 * 1024;

export interface HttpFrontOptions {
  auth: Authenticator;
  /** Twirp services by `package.Service`. */
  services: Readonly<Record<string, TwirpService>>;
  /** False while the server is restarting or closed: late upgrades are dropped. */
  accepting(): boolean;
  /** A worker's websocket on `/agent`, authenticated with `video.agent`. */
  onAgentSocket(ws: WebSocket, apiKey: string, protocol: number): void;
  /** Media rooms: a client joining on `/rtc`. */
  rtc: RtcHost;
  /** The browser page on `/playground`, public: not the real server's. */
  playground?: Playground;
}

/**
 * The HTTP listener, with the real server's front layers in their order:
 * CORS (any origin), double slashes collapsed, API-key auth on every path,
 * then the routes: `/agent` (websocket only), `/twirp/...`, and `/` (health).
 */
export class HttpFront {
  readonly #options: HttpFrontOptions;
  readonly #log: Logger;
  readonly #wss: WebSocketServer;
  /** Sockets between the upgrade request and the websocket (auth is async). */
  readonly #upgrading = new Set<Duplex>();
  #server: Server | undefined;

  constructor(options: HttpFrontOptions) {
    this.#options = options;
    this.#log = log().child({ component: 'livekit-stand-in' });
    // Like gorilla on the real server: no compression, no subprotocol, any origin.
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handleProtocols: () => false,
    });
  }

  get listening(): boolean {
    return this.#server?.listening ?? false;
  }

  /** Listens and resolves with the port (the one asked for, or the one picked for 0). */
  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => {
      this.#handleRequest(req, res).catch((error: unknown) => {
        this.#log.error({ err: error, url: req.url }, 'request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#handleUpgrade(req, socket, head);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Drops upgrades still authenticating; established websockets belong to the agent endpoint. */
  dropUpgrades(): void {
    for (const socket of this.#upgrading) socket.destroy();
    this.#upgrading.clear();
  }

  /** Stops listening and cuts every HTTP connection, idle keep-alive ones included. */
  async close(): Promise<void> {
    this.dropUpgrades();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections (fetch keeps them) would hold close() open.
    server.closeAllConnections();
    await closed;
  }

  async #handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': '*',
      });
      res.end();
      return;
    }
    const url = requestUrl(req);
    this.#log.debug({ path: url.pathname, method: req.method }, 'request');
    const playground = this.#options.playground;
    if (playground && Playground.handles(url.pathname)) return playground.serve(req, res, url);
    const auth = await this.#options.auth.authenticate(req, url);
    if (!auth.ok) return sendText(res, 401, auth.message);
    if (url.pathname === '/agent') return sendText(res, 404, ''); // not a websocket upgrade
    if (url.pathname.startsWith('/twirp/')) {
      return serveTwirp(req, res, url.pathname, this.#options.services, auth.grants);
    }
    if (url.pathname === '/' && req.method === 'GET') return sendText(res, 200, 'OK');
    if (url.pathname === '/rtc/validate') {
      // Clients ask here after a failed join, and show the body to their user.
      res.setHeader('Access-Control-Allow-Origin', '*');
      const refusal = this.#options.rtc.check(auth.grants);
      return refusal
        ? sendText(res, refusal.status, refusal.message)
        : sendText(res, 200, 'success');
    }
    // `/rtc` and `/rtc/v1` answer a plain request with an empty 404, as the real server does;
    // a 404 on `/rtc/v1` (and its validate) is also what makes clients fall back to `/rtc`.
    if (isRoomPath(url.pathname)) return sendText(res, 404, '');
    sendText(res, 404, '404 page not found');
  }

  async #handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A client that resets mid-handshake is its own problem, not an uncaught error here.
    socket.on('error', () => {});
    this.#upgrading.add(socket);
    socket.once('close', () => this.#upgrading.delete(socket));
    const url = requestUrl(req);
    this.#log.debug({ path: url.pathname }, 'upgrade requested');
    const auth = await this.#options.auth.authenticate(req, url);
    if (!auth.ok) return refuseUpgrade(socket, 401, auth.message);
    if (url.pathname === '/rtc') return this.#joinRoom(req, socket, head, auth.grants, url);
    if (url.pathname !== '/agent') return refuseUpgrade(socket, 404, '404 page not found');
    if (auth.grants?.video?.agent !== true || !auth.apiKey) {
      return refuseUpgrade(socket, 401, 'no permissions to access the room');
    }
    if (socket.destroyed || !this.#options.accepting()) {
      socket.destroy();
      return;
    }
    const protocol = Number.parseInt(url.searchParams.get('protocol') ?? '', 10);
    const apiKey = auth.apiKey;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#upgrading.delete(socket);
      this.#options.onAgentSocket(ws, apiKey, Number.isNaN(protocol) ? 1 : protocol);
    });
  }

  /** A client joining a room: the token's checks, then libwebrtc, then the signalling session. */
  async #joinRoom(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    grants: ClaimGrants | undefined,
    url: URL,
  ): Promise<void> {
    const rtc = this.#options.rtc;
    const refusal: JoinRefusal | undefined = rtc.check(grants) ?? (await rtc.ready());
    if (refusal) return refuseUpgrade(socket, refusal.status, refusal.message);
    if (socket.destroyed || !this.#options.accepting() || !grants) {
      socket.destroy();
      return;
    }
    this.#upgrading.delete(socket);
    rtc.accept(req, socket, head, grants, url);
  }
}

/** The request's URL, with runs of slashes collapsed as the real server's middleware does. */
function requestUrl(req: IncomingMessage): URL {
  // Concatenated, not resolved against a base: `//agent` would otherwise parse as a host.
  const url = new URL(`http://stand-in${req.url ?? '/'}`);
  url.pathname = url.pathname.replace(/\/{2,}/g, '/');
  return url;
}

/** The real server's auth and routing errors are plain text, not JSON. */
function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function isRoomPath(pathname: string): boolean {
  return pathname === '/rtc' || pathname.startsWith('/rtc/');
}

const STATUS_TEXT = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  500: 'Internal Server Error',
};

/** An HTTP answer written straight on the socket of an upgrade request, then the socket closed. */
function refuseUpgrade(socket: Duplex, status: keyof typeof STATUS_TEXT, text: string): void {
  if (socket.destroyed) return;
  const reason = STATUS_TEXT[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}
