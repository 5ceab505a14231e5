import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyMessage, JsonObject, JsonValue, Message, MessageType } from '@bufbuild/protobuf';
import type { ClaimGrants } from 'livekit-server-sdk';

/** Twirp error codes and the HTTP status each is sent with (Twirp spec v7). */
const STATUS = {
  canceled: 408,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
  unknown: 500,
} as const;

export type TwirpCode = keyof typeof STATUS;

/** An error the real server would answer with this Twirp code and message. */
export class TwirpError extends Error {
  override name = 'TwirpError';
  readonly code: TwirpCode;
  readonly meta: Record<string, string> | undefined;

  constructor(code: TwirpCode, message: string, meta?: Record<string, string>) {
    super(message);
    this.code = code;
    this.meta = meta;
  }
}

/** A Twirp method with its request type erased, so services can sit in one table. */
export interface TwirpMethod {
  decode(body: Buffer, json: boolean): AnyMessage;
  call(request: AnyMessage, grants: ClaimGrants | undefined): AnyMessage | Promise<AnyMessage>;
}

export type TwirpService = Readonly<Record<string, TwirpMethod>>;

/** A method the real server has and the stand-in does not model: `unimplemented`, not `bad_route`. */
export function notModelled(method: string): TwirpMethod {
  const refuse = (): never => {
    throw new TwirpError('unimplemented', `${method} is not modelled by the LiveKit stand-in`);
  };
  return { decode: refuse, call: refuse };
}

export function twirpMethod<I extends Message<I>>(
  input: MessageType<I>,
  call: (request: I, grants: ClaimGrants | undefined) => AnyMessage | Promise<AnyMessage>,
): TwirpMethod {
  return {
    // Unknown fields are dropped, as protojson's DiscardUnknown does on the real server.
    decode: (body, json) =>
      json
        ? input.fromJsonString(body.toString('utf8'), { ignoreUnknownFields: true })
        : input.fromBinary(body),
    call: (request, grants) => call(request as unknown as I, grants),
  };
}

/** Request bodies past this are refused: the real server has a body-size limit too. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Serves `POST /twirp/<package.Service>/<Method>` for `services` (keyed by
 * `package.Service`), in JSON or protobuf as the request's content type says.
 * JSON answers use proto field names with every default emitted, as the real
 * server's marshaller does; errors are Twirp JSON bodies.
 */
export async function serveTwirp(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  services: Readonly<Record<string, TwirpService>>,
  grants: ClaimGrants | undefined,
): Promise<void> {
  try {
    const [, , serviceName = '', methodName = ''] = path.split('/');
    const route = `${req.method} ${path}`;
    if (req.method !== 'POST') {
      throw badRoute(`unsupported method ${req.method} (only POST is allowed)`, route);
    }
    const method = services[serviceName]?.[methodName];
    if (!method) throw badRoute(`no handler for path "${path}"`, route);
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/json' && mediaType !== 'application/protobuf') {
      throw badRoute(`unexpected Content-Type: "${req.headers['content-type'] ?? ''}"`, route);
    }
    const json = mediaType === 'application/json';
    const body = await readBody(req);
    let request: AnyMessage;
    try {
      request = method.decode(body, json);
    } catch (error) {
      if (error instanceof TwirpError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new TwirpError(
        'malformed',
        `the ${json ? 'json' : 'protobuf'} request could not be decoded: ${reason}`,
      );
    }
    const response = await method.call(request, grants);
    if (json) {
      send(res, 200, 'application/json', JSON.stringify(twirpJson(response)));
    } else {
      send(res, 200, 'application/protobuf', Buffer.from(response.toBinary()));
    }
  } catch (error) {
    const twirp =
      error instanceof TwirpError
        ? error
        : new TwirpError('internal', error instanceof Error ? error.message : String(error));
    const body: Record<string, unknown> = { code: twirp.code, msg: twirp.message };
    if (twirp.meta) body.meta = twirp.meta;
    // Exactly `application/json`: the node SDK compares the header verbatim before parsing.
    send(res, STATUS[twirp.code], 'application/json', JSON.stringify(body), {
      close: twirp instanceof BodyTooLargeError,
    });
  }
}

function badRoute(message: string, route: string): TwirpError {
  return new TwirpError('bad_route', message, { twirp_invalid_route: route });
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  { close = false } = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    ...(close ? { Connection: 'close' } : {}),
  });
  res.end(body);
}

/** Answered, like Go's server after its body limit, on a connection that is then closed. */
class BodyTooLargeError extends TwirpError {
  constructor() {
    super(
      'malformed',
      `failed to read request body: it exceeds ${MAX_BODY_BYTES} bytes (the server's limit)`,
    );
  }
}

/**
 * Past this much discarded body the connection is cut: a client that never
 * stops sending gets a reset instead of a reply, rather than holding the
 * stand-in forever.
 */
const MAX_DISCARDED_BYTES = 64 * 1024 * 1024;

/**
 * Reads the body, refusing one over MAX_BODY_BYTES with `malformed` (what
 * Twirp answers when the server's body-size limit stops the read). The rest
 * of an oversized body is read and dropped before answering: closing a socket
 * with unread data in it makes the kernel send a reset, and the client would
 * see `ECONNRESET` instead of the error.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES + MAX_DISCARDED_BYTES) {
        req.destroy();
      } else if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      } else {
        chunks.length = 0;
      }
    });
    req.on('end', () => {
      if (size <= MAX_BODY_BYTES) {
        resolve(Buffer.concat(chunks));
        return;
      }
      reject(new BodyTooLargeError());
    });
    req.on('error', reject);
  });
}

/**
 * A message as the real server's JSON: proto (snake_case) names, defaults
 * emitted, 64-bit integers as strings, and `null` for unset message fields
 * (which protobuf-es would leave out).
 */
export function twirpJson(message: AnyMessage): JsonValue {
  const json = message.toJson({ useProtoFieldName: true, emitDefaultValues: true });
  addNulls(message, json);
  return json;
}

function addNulls(message: AnyMessage, json: JsonValue): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return;
  const object = json as JsonObject;
  for (const field of message.getType().fields.list()) {
    if (field.kind !== 'message' || field.oneof) continue;
    const value = (message as Record<string, unknown>)[field.localName];
    if (field.repeated) {
      const items = object[field.name];
      if (Array.isArray(items) && Array.isArray(value)) {
        value.forEach((item: AnyMessage, i) => {
          addNulls(item, items[i] ?? null);
        });
      }
    } else if (value === undefined) {
      object[field.name] = null;
    } else {
      addNulls(value as AnyMessage, object[field.name] ?? null);
    }
  }
}
