import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What can go wrong on a file host, on purpose. */
export type FileFault =
  /** Answer with this status instead of the file. */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Send the headers and this many bytes of the body, then reset the connection. */
  | { kind: 'cut'; afterBytes: number }
  /** Send the headers and this many bytes, then nothing more until the client gives up. */
  | { kind: 'stall'; afterBytes: number }
  /** Send the body in chunks of `chunkBytes` every `intervalMs`. */
  | { kind: 'slow'; chunkBytes: number; intervalMs: number };

export interface FileRequest {
  path: string;
  /** The status sent, or undefined if the connection was cut before headers. */
  status: number | undefined;
  bytesSent: number;
}

interface ArmedFault {
  fault: FileFault;
  remaining: number;
}

/**
 * A stand-in for the hosts plugins download model files from: serves files
 * from memory over HTTP on loopback with a Content-Length, and can be told to
 * fail in the ways real hosts do, for tests of download code.
 */
export class FileServer {
  readonly requests: FileRequest[] = [];
  readonly #files = new Map<string, Buffer>();
  readonly #faults = new Map<string, ArmedFault[]>();
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #server: Server;
  #url = '';

  private constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(
    options: { files?: Record<string, Uint8Array | string>; port?: number } = {},
  ): Promise<FileServer> {
    const server = new FileServer();
    for (const [path, content] of Object.entries(options.files ?? {}))
      server.setFile(path, content);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = server.#server.address() as AddressInfo;
    server.#url = `http://127.0.0.1:${port}`;
    return server;
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return this.#url;
  }

  /** URL of a served path. */
  urlOf(path: string): string {
    return `${this.#url}${path.startsWith('/') ? path : `/${path}`}`;
  }

  setFile(path: string, content: Uint8Array | string): void {
    this.#files.set(normalise(path), Buffer.from(content));
  }

  /** SHA-256 (hex) of a served file, as a plugin would pin it. */
  sha256Of(path: string): string {
    const content = this.#files.get(normalise(path));
    if (!content) throw new Error(`FileServer has no file at ${path}`);
    return createHash('sha256').update(content).digest('hex');
  }

  /** Applies `fault` to the next `times` requests of `path` (default: all of them). */
  injectFault(path: string, fault: FileFault, times = Number.POSITIVE_INFINITY): void {
    const armed = this.#faults.get(normalise(path)) ?? [];
    armed.push({ fault, remaining: times });
    this.#faults.set(normalise(path), armed);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  requestCount(path: string): number {
    return this.requests.filter((request) => request.path === normalise(path)).length;
  }

  /** Stops listening and drops every open connection. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #takeFault(path: string): FileFault | undefined {
    const armed = this.#faults.get(path)?.find((entry) => entry.remaining > 0);
    if (!armed) return undefined;
    armed.remaining -= 1;
    return armed.fault;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = normalise(new URL(req.url ?? '/', 'http://x').pathname);
    const record: FileRequest = { path, status: undefined, bytesSent: 0 };
    this.requests.push(record);
    const fault = this.#takeFault(path);
    const content = this.#files.get(path);

    if (fault?.kind === 'status' || !content) {
      record.status = fault?.kind === 'status' ? fault.status : 404;
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (fault?.kind === 'status' && fault.retryAfter) headers['retry-after'] = fault.retryAfter;
      res.writeHead(record.status, headers).end(`status ${record.status}\n`);
      return;
    }

    record.status = 200;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(content.length),
    });
    const send = (bytes: Buffer) => {
      record.bytesSent += bytes.length;
      res.write(bytes);
    };

    switch (fault?.kind) {
      case 'cut':
        send(content.subarray(0, fault.afterBytes));
        // Let the partial body reach the client before the reset.
        this.#later(20, () => req.socket.destroy());
        return;
      case 'stall':
        send(content.subarray(0, fault.afterBytes));
        return;
      case 'slow': {
        let offset = 0;
        const step = () => {
          if (res.destroyed) return;
          send(content.subarray(offset, offset + fault.chunkBytes));
          offset += fault.chunkBytes;
          if (offset >= content.length) res.end();
          else this.#later(fault.intervalMs, step);
        };
        step();
        return;
      }
      default:
        record.bytesSent = content.length;
        res.end(content);
    }
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }
}

function normalise(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}
