/**
 * Typed errors for calls to remote services. Retry decisions read `retryable`,
 * never the message, so every plugin maps its provider's failures onto these.
 */

export interface APIErrorOptions {
  /** The response body, parsed when it was JSON, as text otherwise. */
  body?: unknown;
  retryable?: boolean;
  cause?: unknown;
}

/** Base class of every error raised by a call to a remote service. */
export class APIError extends Error {
  override name = 'APIError';
  readonly body: unknown;
  readonly retryable: boolean;

  constructor(message: string, options: APIErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.body = options.body;
    this.retryable = options.retryable ?? false;
  }
}

export interface APIStatusErrorOptions extends APIErrorOptions {
  status: number;
  requestId?: string;
  /** How long the server asked us to wait (a `retry-after` header), in ms. */
  retryAfterMs?: number;
}

/** The service answered with an error status. */
export class APIStatusError extends APIError {
  override name = 'APIStatusError';
  readonly status: number;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: APIStatusErrorOptions) {
    super(message, {
      ...options,
      retryable: options.retryable ?? isRetryableStatus(options.status),
    });
    this.status = options.status;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The service could not be reached, or the connection broke mid-response. */
export class APIConnectionError extends APIError {
  override name = 'APIConnectionError';

  constructor(message = 'connection error', options: APIErrorOptions = {}) {
    super(message, { ...options, retryable: options.retryable ?? true });
  }
}

/** The service did not answer within the deadline. */
export class APITimeoutError extends APIConnectionError {
  override name = 'APITimeoutError';

  constructor(message = 'request timed out', options: APIErrorOptions = {}) {
    super(message, options);
  }
}

/**
 * Request timeout, conflict, rate limit and server errors are worth another
 * try; any other status (bad request, auth, not found) will fail the same way.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Reads a `retry-after` header (seconds or an HTTP date) as milliseconds. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** How a plugin connects to its service; every field has a default. */
export interface APIConnectOptions {
  /** Retries after the first attempt; 0 means try once. */
  maxRetry: number;
  /** Delay before the first retry; later retries back off exponentially. */
  retryIntervalMs: number;
  /** Deadline of one attempt (connect, or time to the first byte). */
  timeoutMs: number;
}

export const DEFAULT_API_CONNECT_OPTIONS: Readonly<APIConnectOptions> = Object.freeze({
  maxRetry: 3,
  retryIntervalMs: 2000,
  timeoutMs: 10_000,
});

/** Fills defaults and rejects values that cannot work, naming the bad field. */
export function resolveConnectOptions(options: Partial<APIConnectOptions> = {}): APIConnectOptions {
  const resolved = { ...DEFAULT_API_CONNECT_OPTIONS, ...options };
  for (const key of ['maxRetry', 'retryIntervalMs', 'timeoutMs'] as const) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`connection option ${key} must be a number >= 0 (got ${String(value)})`);
    }
  }
  if (!Number.isInteger(resolved.maxRetry)) {
    throw new TypeError(
      `connection option maxRetry must be a whole number (got ${resolved.maxRetry})`,
    );
  }
  if (resolved.timeoutMs === 0) {
    throw new TypeError('connection option timeoutMs must be greater than 0');
  }
  return resolved;
}
