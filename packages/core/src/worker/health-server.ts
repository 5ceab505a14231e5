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

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
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
