/**
 * Wall-clock delays the stand-in adds to mimic the real service's processing time.
 * Transcription itself runs in audio time; these only hold messages back.
 */
export interface DeepgramLatency {
  /** Before answering a websocket upgrade (the 101). Real: 130–290 ms. */
  handshakeMs: number;
  /** Before the first `Results` of a connection, on top of the ~1 s of audio the cadence waits for. */
  firstInterimMs: number;
  /** Before a `speech_final` result, once `endpointing` ms of silence were heard. Real: ~100–300 ms. */
  finalMs: number;
  /** Between `CloseStream` and the last results. Real: 50–300 ms. */
  closeStreamMs: number;
  /** Before answering a pre-recorded `POST /v1/listen`. */
  prerecordedMs: number;
}

export type DeepgramLatencyOption = 'none' | 'realistic' | Partial<DeepgramLatency>;

/**
 * What can go wrong on purpose. Each applies to the next connection or request
 * (`times` of them, default 1).
 * - `auth`: 401 `INVALID_AUTH`, even with a good key.
 * - `drop`: the socket is terminated (no close frame; the client sees 1006) after
 *   `afterAudioMs` of audio on that connection (with `onCloseStream`: at its `CloseStream`).
 * - `stall`: after `afterAudioMs` of audio, nothing more is sent on that connection:
 *   no results, no idle close (a request: never answered).
 * - `malformed`: one text frame that is not JSON (after `afterAudioMs` of audio), then
 *   everything as usual (a request: a 200 whose body is not JSON).
 * - `slow-first-byte`: the 101 (or the response) is held back by `delayMs`, default the
 *   latency profile's `handshakeMs` (`prerecordedMs` for a request) or 2 s when that is 0.
 * - `status`: the upgrade (or request) is refused with `status` (default 503) and an error body.
 */
export type DeepgramFault = 'auth' | 'drop' | 'stall' | 'malformed' | 'slow-first-byte' | 'status';

export interface DeepgramFaultOptions {
  /** How many connections or requests the fault applies to. Default 1. */
  times?: number;
  /** `drop`, `stall`, `malformed`: audio received on the connection before the fault fires. Default 0. */
  afterAudioMs?: number;
  /**
   * `drop`: fires when `CloseStream` arrives instead (after `afterAudioMs` of audio), before
   * any of the last results: the client sees the end of its stream cut off.
   */
  onCloseStream?: boolean;
  /** `slow-first-byte`: how long to hold the first byte back. */
  delayMs?: number;
  /** `status`: the HTTP status answered. Default 503. */
  status?: number;
}

/** One `/v1/listen` websocket, as the stand-in saw it. */
export interface DeepgramConnection {
  /** 1 for the first connection, then 2, ... */
  readonly id: number;
  /** The `dg-request-id` of the session (also in every `Results` and the `Metadata`). */
  readonly requestId: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Every text frame the client sent, parsed as JSON (the raw text when it is not JSON). */
  readonly controlMessages: unknown[];
  /** Every message the stand-in sent, parsed (the raw text for a `malformed` frame). */
  readonly sentMessages: unknown[];
  /** Bytes of audio received. */
  audioBytes: number;
  /** Milliseconds of audio received, at the connection's sample rate and channels. */
  readonly audioMs: number;
  /** The faults this connection took. */
  readonly faults: readonly DeepgramFault[];
  /** The close code the stand-in sent (1000, 1011), or the client's, or 1006 for a terminated socket. */
  closeCode?: number;
  /** Resolves once the socket is closed, whoever closed it. */
  readonly closed: Promise<void>;
}

/** One pre-recorded `POST /v1/listen`. */
export interface DeepgramRequest {
  readonly id: number;
  readonly requestId: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly contentType: string;
  readonly bodyBytes: number;
  status?: number;
  readonly faults: readonly DeepgramFault[];
}

/** A word of a `Results` (and of a pre-recorded answer). */
export interface DeepgramWord {
  word: string;
  start: number;
  end: number;
  confidence: number;
  punctuated_word?: string;
}
