import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OpenAIFault, OpenAIRequest } from './types.js';

/** One request being answered, with what every handler needs. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: OpenAIRequest;
  /** A `slow` or `cut` fault for this request (status faults never reach a handler). */
  readonly fault: Extract<OpenAIFault, { kind: 'slow' | 'cut' }> | undefined;
  /** Aborts when the connection closes, so a handler stops writing into the void. */
  readonly signal: AbortSignal;
  /** A unique id, sent back as `x-request-id` as the real service does. */
  readonly requestId: string;
}

/** A failure the client caused, answered as OpenAI answers it. */
export class OpenAIHttpError extends Error {
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;

  constructor(
    readonly status: number,
    message: string,
    details: { type?: string; code?: string | null; param?: string | null } = {},
  ) {
    super(message);
    this.type = details.type ?? 'invalid_request_error';
    this.code = details.code ?? null;
    this.param = details.param ?? null;
  }

  /** The service's answer to a request without a required field. */
  static missing(param: string): OpenAIHttpError {
    return new OpenAIHttpError(400, `Missing required parameter: '${param}'.`, { param });
  }
}

/** Reads the whole request body, refusing more than `limit` bytes (OpenAI caps uploads at 25 MB). */
export async function readBody(req: IncomingMessage, limit = 25 * 2 ** 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new OpenAIHttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function parseJsonBody(bytes: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new OpenAIHttpError(
      400,
      'We could not parse the JSON body of your request. (HINT: This likely means ' +
        "you aren't using your HTTP library correctly.)",
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OpenAIHttpError(400, 'the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** The error body every OpenAI endpoint uses. */
export function errorBody(error: OpenAIHttpError): object {
  return {
    error: { message: error.message, type: error.type, param: error.param, code: error.code },
  };
}

export function sendJson(
  exchange: Exchange,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const { res, record } = exchange;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  record.status = status;
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'x-request-id': exchange.requestId,
    ...headers,
  });
  record.firstByteAt ??= performance.now();
  res.end(text);
}

export function sendError(
  exchange: Exchange,
  error: OpenAIHttpError,
  headers?: Record<string, string>,
): void {
  sendJson(exchange, error.status, errorBody(error), headers);
}

/** Drops the connection without finishing the response, as a `cut` fault asks. */
export function cutConnection(exchange: Exchange): void {
  exchange.record.outcome = 'cut';
  exchange.req.socket.destroy();
}

/**
 * Sends a streamed body chunk by chunk, honouring the pacing and this request's
 * `slow` and `cut` faults. Headers must already be written. Resolves when done or
 * when the client went away.
 */
export async function streamChunks(
  exchange: Exchange,
  chunks: Iterable<string | Uint8Array>,
  pacing: { firstChunkDelayMs?: number; chunkDelayMs?: number },
): Promise<void> {
  const { res, record, fault, signal } = exchange;
  const cutAfter = fault?.kind === 'cut' ? fault.afterChunks : Number.POSITIVE_INFINITY;
  const slowStart = fault?.kind === 'slow' ? fault.firstChunkDelayMs : 0;
  const firstDelay = Math.max(pacing.firstChunkDelayMs ?? 0, slowStart);
  let sent = 0;
  try {
    for (const chunk of chunks) {
      if (sent >= cutAfter) break;
      const delay = sent === 0 ? firstDelay : (pacing.chunkDelayMs ?? 0);
      if (delay > 0) await sleep(delay, undefined, { signal });
      record.firstByteAt ??= performance.now();
      await write(res, chunk, signal);
      sent += 1;
    }
  } catch (error) {
    if (signal.aborted) return; // the client left; nothing more to do
    throw error;
  }
  if (fault?.kind === 'cut') cutConnection(exchange);
  else res.end();
}

/** Writes one chunk and waits until it is handed to the socket (backpressure included). */
function write(
  res: ServerResponse,
  chunk: string | Uint8Array,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // A destroyed socket may never call back; the abort settles the wait instead.
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(chunk, (error) => {
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    });
  });
}
