import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { log } from '@agents/core';

export interface StandInHandlers {
  request(req: IncomingMessage, res: ServerResponse): Promise<void>;
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
}

/**
 * The HTTP server of a service stand-in. A handler that throws is logged under
 * `name`; its request is answered 500 (or cut, once the headers went out) and its
 * upgrade socket destroyed, so that a client never waits on a stand-in's bug.
 */
export function createStandInServer(name: string, handlers: StandInHandlers): Server {
  const server = createServer((req, res) => {
    handlers.request(req, res).catch((error: unknown) => {
      log().error({ err: error, url: req.url }, `${name}: request failed`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const { upgrade } = handlers;
  if (upgrade) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      upgrade(req, socket, head).catch((error: unknown) => {
        log().error({ err: error, url: req.url }, `${name}: upgrade failed`);
        socket.destroy();
      });
    });
  }
  return server;
}

/** Listens on `host:port` (port 0: a free one); resolves with the port and `http://HOST:PORT`. */
export async function listenOn(
  server: Server,
  port: number,
  host: string,
): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}
