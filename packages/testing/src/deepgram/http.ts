import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './messages.js';

/** An error answer as the service gives it: status, JSON body, `dg-request-id` and `dg-error` headers. */
export interface ListenError {
  status: number;
  code: string;
  message: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function errorHeaders(error: ListenError, requestId: string, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'dg-request-id': requestId,
    'dg-error': error.message,
  };
}

/** Answers an upgrade request with an HTTP error instead of the 101, then closes the socket. */
export function refuseUpgrade(socket: Duplex, error: ListenError, requestId: string): void {
  if (socket.destroyed) return;
  const body = errorBody(error.code, error.message, requestId);
  const headers = Object.entries({ ...errorHeaders(error, requestId, body), connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const reason = STATUS_TEXT[error.status] ?? 'Error';
  socket.end(`HTTP/1.1 ${error.status} ${reason}\r\n${headers}\r\n${body}`);
}

export function sendError(res: ServerResponse, error: ListenError, requestId: string): void {
  const body = errorBody(error.code, error.message, requestId);
  res.writeHead(error.status, errorHeaders(error, requestId, body)).end(body);
}

export function sendJson(res: ServerResponse, body: string, requestId: string): void {
  res
    .writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'dg-request-id': requestId,
    })
    .end(body);
}

/**
 * The key a client presented: `Authorization: Token <key>` or `Bearer <token>`, or,
 * from browsers, the subprotocols `token, <key>` / `bearer, <token>`.
 */
export function presentedKey(req: IncomingMessage): string | undefined {
  const header = /^(?:token|bearer)\s+(\S.*)$/i.exec(req.headers.authorization ?? '');
  if (header) return header[1]?.trim();
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const scheme = protocols.findIndex((p) => /^(token|bearer)$/i.test(p));
  const key = scheme >= 0 ? protocols[scheme + 1] : undefined;
  return key || undefined;
}

/** The subprotocol to echo: the auth scheme when one was offered (a client fails the handshake if none comes back). */
export function chooseProtocol(protocols: Set<string>): string | false {
  for (const protocol of protocols) if (/^(token|bearer)$/i.test(protocol)) return protocol;
  const [first] = protocols;
  return first ?? false;
}

/** Reads a whole request body, refusing more than `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
