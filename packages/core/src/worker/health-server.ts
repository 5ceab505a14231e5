import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WorkerHealth {
  /** True while registered with the server (and not closing). */
  healthy(): boolean;
  /** What `GET /worker` returns. */
  describe(): Record<string, unknown>;
}

/**
 * `GET /`: 200 while the worker is registered, 503 otherwise (for load
 * balancers and orchestrators). `GET /worker`: the worker's state as JSON.
 */
export class HealthServer {
  readonly #server: Server;

  constructor(health: WorkerHealth) {
    this.#server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/') {
        const ok = health.healthy();
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ok ? 'OK' : 'not registered');
      } else if (path === '/worker') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(health.describe()));
      } else {
        res.writeHead(404).end();
      }
    });
  }

  /** Rejects with a message that names the health server and says what to do. */
  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `the health server cannot listen on ${host}:${port}`;
  const fix = 'pass --health-port <port>, or 0 for any free port';
  switch (error.code) {
    case 'EADDRINUSE':
      return new Error(`${where}: the port is in use (another worker?); ${fix}`, { cause: error });
    case 'EACCES':
      return new Error(`${where}: permission denied (ports below 1024 need privileges); ${fix}`, {
        cause: error,
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new Error(`${where}: no such address on this machine; check the host`, {
        cause: error,
      });
    default:
      return new Error(`${where}: ${error.message}`, { cause: error });
  }
}
