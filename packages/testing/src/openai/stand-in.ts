import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { log } from '@agents/core';
import { handleChat } from './chat.js';
import {
  type Exchange,
  OpenAIHttpError,
  parseJsonBody,
  readBody,
  sendError,
  sendJson,
} from './http.js';
import { handleSpeech } from './speech.js';
import { handleTranscription } from './transcriptions.js';
import type {
  OpenAIChatReply,
  OpenAIEndpoint,
  OpenAIFault,
  OpenAIRequest,
  OpenAIRequestOutcome,
  OpenAIScript,
  OpenAISpeechReply,
  OpenAITranscriptionReply,
} from './types.js';

export interface OpenAIStandInOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: reachable from this machine only. */
  host?: string;
  /** The key clients must send as `Authorization: Bearer <key>`; without one, any key is accepted. */
  apiKey?: string;
  /** Replies to play back, per endpoint, before falling back to the default answers. */
  script?: OpenAIScript;
  /** Called for each request once its body is read, e.g. to print it. */
  onRequest?: (request: OpenAIRequest) => void;
}

const ROUTES: Record<string, OpenAIEndpoint> = {
  'POST /v1/chat/completions': 'chat',
  'POST /v1/audio/speech': 'speech',
  'POST /v1/audio/transcriptions': 'transcriptions',
  'GET /v1/models': 'models',
};

const MODELS = [
  'gpt-4o',
  'gpt-4o-mini',
  'tts-1',
  'gpt-4o-mini-tts',
  'whisper-1',
  'gpt-4o-transcribe',
];

/**
 * An HTTP server that speaks the OpenAI API (chat completions with streaming
 * and tool calls, speech, transcriptions) well enough for the real `openai`
 * client to talk to it. Replies come from a script, or are derived from the
 * request when there is none; faults (error statuses, a slow first token, a
 * connection cut mid-stream) are injected per request. Every request is logged
 * in `requests` for assertions.
 *
 *     const openai = await OpenAIStandIn.start({ apiKey: 'sk-test' });
 *     openai.scriptChat({ content: 'Hello there!' });
 *     openai.injectFault('chat', { kind: 'status', status: 429, retryAfter: '1' });
 *     // point a client at openai.url with the key 'sk-test'
 */
export class OpenAIStandIn {
  /** Every request received, in arrival order. */
  readonly requests: OpenAIRequest[] = [];
  readonly apiKey: string | undefined;
  readonly #server: Server;
  readonly #onRequest: ((request: OpenAIRequest) => void) | undefined;
  readonly #chat: OpenAIChatReply[] = [];
  readonly #speech: OpenAISpeechReply[] = [];
  readonly #transcriptions: OpenAITranscriptionReply[] = [];
  readonly #faults = new Map<OpenAIEndpoint, { fault: OpenAIFault; remaining: number }[]>();
  readonly #ended = new WeakMap<OpenAIRequest, Promise<OpenAIRequestOutcome>>();
  readonly #waiters = new Set<(request: OpenAIRequest) => boolean>();
  /** The requests whose body has been read. */
  readonly #received = new WeakSet<OpenAIRequest>();
  #url = '';
  #port = 0;

  private constructor(options: OpenAIStandInOptions) {
    this.apiKey = options.apiKey;
    this.#onRequest = options.onRequest;
    this.scriptChat(...(options.script?.chat ?? []));
    this.scriptSpeech(...(options.script?.speech ?? []));
    this.scriptTranscription(...(options.script?.transcriptions ?? []));
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(options: OpenAIStandInOptions = {}): Promise<OpenAIStandIn> {
    const standIn = new OpenAIStandIn(options);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      standIn.#server.once('error', reject);
      standIn.#server.listen(options.port ?? 0, host, () => resolve());
    });
    standIn.#port = (standIn.#server.address() as AddressInfo).port;
    const hostInUrl = host.includes(':') ? `[${host}]` : host;
    standIn.#url = `http://${hostInUrl}:${standIn.#port}/v1`;
    return standIn;
  }

  /** The base URL clients take, `/v1` included, e.g. `http://127.0.0.1:41234/v1`. */
  get url(): string {
    return this.#url;
  }

  get port(): number {
    return this.#port;
  }

  /** Queues replies for the next chat completions requests. */
  scriptChat(...replies: OpenAIChatReply[]): this {
    this.#chat.push(...replies);
    return this;
  }

  /** Queues replies for the next speech requests. */
  scriptSpeech(...replies: OpenAISpeechReply[]): this {
    this.#speech.push(...replies);
    return this;
  }

  /** Queues replies for the next transcription requests. */
  scriptTranscription(...replies: OpenAITranscriptionReply[]): this {
    this.#transcriptions.push(...replies);
    return this;
  }

  /**
   * Applies `fault` to the next `times` requests of `endpoint` (after the ones
   * already armed). A status fault answers instead of the script; `slow` and
   * `cut` change how the scripted (or default) reply is delivered.
   */
  injectFault(endpoint: OpenAIEndpoint, fault: OpenAIFault, times = 1): this {
    const armed = this.#faults.get(endpoint) ?? [];
    armed.push({ fault, remaining: times });
    this.#faults.set(endpoint, armed);
    return this;
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** The requests that reached `endpoint`. */
  requestsTo(endpoint: OpenAIEndpoint): OpenAIRequest[] {
    return this.requests.filter((request) => request.endpoint === endpoint);
  }

  /**
   * Resolves with the first request, received already or still to come, that
   * `match` accepts (default: any), once its body has been read.
   */
  waitForRequest(match: (request: OpenAIRequest) => boolean = () => true): Promise<OpenAIRequest> {
    const found = this.requests.find((request) => this.#received.has(request) && match(request));
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const waiter = (request: OpenAIRequest) => {
        if (!match(request)) return false;
        resolve(request);
        return true;
      };
      this.#waiters.add(waiter);
    });
  }

  /** Resolves once the exchange is over: answered, abandoned by the client, or cut. */
  ended(request: OpenAIRequest): Promise<OpenAIRequestOutcome> {
    const ended = this.#ended.get(request);
    if (!ended) throw new Error(`request ${request.seq} was not received by this stand-in`);
    return ended;
  }

  /** Throws unless every scripted reply and every armed fault was used. */
  assertScriptDone(): void {
    const left = [
      this.#chat.length && `${this.#chat.length} chat replies`,
      this.#speech.length && `${this.#speech.length} speech replies`,
      this.#transcriptions.length && `${this.#transcriptions.length} transcription replies`,
      ...[...this.#faults].flatMap(([endpoint, armed]) =>
        armed.filter((a) => a.remaining > 0).map((a) => `a ${a.fault.kind} fault on ${endpoint}`),
      ),
    ].filter(Boolean);
    if (left.length > 0) throw new Error(`OpenAIStandIn: never used: ${left.join(', ')}`);
  }

  /**
   * Destroys every open connection now, idle keep-alive ones included, as a
   * network failure does; the server goes on listening for new ones.
   */
  dropConnections(): void {
    this.#server.closeAllConnections();
  }

  /** Stops listening and drops every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const endpoint = ROUTES[`${req.method} ${url.pathname}`];
    const record: OpenAIRequest = {
      seq: this.requests.length + 1,
      method: req.method ?? 'GET',
      path: url.pathname,
      endpoint,
      authorized: false,
      body: undefined,
      outcome: 'pending',
    };
    this.requests.push(record);
    const exchange: Exchange = {
      req,
      res,
      record,
      fault: undefined,
      signal: this.#watchClose(record, res),
      requestId: `req_standin_${record.seq}`,
    };
    try {
      const bytes = await readBody(req);
      if (endpoint !== 'transcriptions') record.body = tryParseJson(bytes);
      this.#received.add(record);
      this.#onRequest?.(record);
      for (const waiter of this.#waiters) if (waiter(record)) this.#waiters.delete(waiter);
      if (!endpoint) {
        throw new OpenAIHttpError(404, `Invalid URL (${record.method} ${record.path})`);
      }
      this.#checkAuth(req, record);
      const fault = this.#takeFault(endpoint);
      record.fault = fault;
      if (fault?.kind === 'status') sendStatusFault(exchange, fault);
      else await this.#answer({ ...exchange, fault }, endpoint, bytes);
    } catch (error) {
      if (exchange.signal.aborted) return;
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof OpenAIHttpError) {
        sendError(exchange, error);
      } else {
        log().error({ err: error, path: record.path }, 'OpenAIStandIn: handler failed');
        const message = `stand-in failure: ${String(error)}`;
        sendError(exchange, new OpenAIHttpError(500, message, { type: 'server_error' }));
      }
    }
  }

  #answer(exchange: Exchange, endpoint: OpenAIEndpoint, bytes: Buffer): Promise<void> | void {
    switch (endpoint) {
      case 'chat':
        return handleChat(exchange, parseJsonBody(bytes), () => this.#chat.shift());
      case 'speech':
        return handleSpeech(exchange, parseJsonBody(bytes), () => this.#speech.shift());
      case 'transcriptions':
        return handleTranscription(exchange, bytes, () => this.#transcriptions.shift());
      case 'models':
        return sendJson(exchange, 200, {
          object: 'list',
          data: MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'system' })),
        });
    }
  }

  /**
   * Records how the exchange ends, for `ended()`. The signal it returns aborts
   * when the connection closes, so a handler stops instead of writing into the void.
   */
  #watchClose(record: OpenAIRequest, res: ServerResponse): AbortSignal {
    const connection = new AbortController();
    const ended = new Promise<OpenAIRequestOutcome>((resolve) => {
      res.once('close', () => {
        if (record.outcome === 'pending') {
          record.outcome = res.writableFinished ? 'completed' : 'client_closed';
        }
        connection.abort();
        resolve(record.outcome);
      });
    });
    this.#ended.set(record, ended);
    return connection.signal;
  }

  #checkAuth(req: IncomingMessage, record: OpenAIRequest): void {
    const header = req.headers.authorization ?? '';
    const key = /^Bearer (.+)$/.exec(header)?.[1];
    if (!key) {
      throw new OpenAIHttpError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization " +
          'header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).',
      );
    }
    if (this.apiKey !== undefined && key !== this.apiKey) {
      throw new OpenAIHttpError(401, `Incorrect API key provided: ${maskKey(key)}.`, {
        code: 'invalid_api_key',
      });
    }
    record.authorized = true;
  }

  #takeFault(endpoint: OpenAIEndpoint): OpenAIFault | undefined {
    const armed = this.#faults.get(endpoint)?.find((entry) => entry.remaining > 0);
    if (!armed) return undefined;
    armed.remaining -= 1;
    return armed.fault;
  }
}

function sendStatusFault(
  exchange: Exchange,
  fault: Extract<OpenAIFault, { kind: 'status' }>,
): void {
  const { status } = fault;
  const [type, code, message] =
    status === 401
      ? ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.']
      : status === 403
        ? ['invalid_request_error', 'unsupported_country_region_territory', 'Forbidden.']
        : status === 429
          ? ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests.']
          : status >= 500
            ? ['server_error', null, 'The server had an error while processing your request.']
            : ['invalid_request_error', null, `Error ${status}.`];
  const error = new OpenAIHttpError(status, fault.message ?? message, { type, code });
  sendError(exchange, error, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
}

function tryParseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return bytes.toString('utf8');
  }
}

/** How the service quotes a wrong key: enough to recognise it, not enough to use it. */
function maskKey(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 4)}****${key.slice(-4)}`;
}
