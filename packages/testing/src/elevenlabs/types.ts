import type { IncomingHttpHeaders } from 'node:http';

/**
 * How fast the stand-in answers. 'none' (the default) sends audio as soon as
 * it is asked for; 'realistic' is the real service as seen from a nearby
 * region: 100–350 ms to the first audio of a generation, then audio about
 * three times faster than real time.
 */
export interface ElevenLabsLatency {
  /** Wait from the trigger (flush, sentence end, close) to the first audio of a generation. */
  firstAudioMs: number;
  /** A deterministic extra wait, from 0 up to this, added per generation. */
  firstAudioJitterMs: number;
  /** Wait between two audio messages (each ~250 ms of audio) of one generation. */
  chunkIntervalMs: number;
}

export const NO_LATENCY: ElevenLabsLatency = {
  firstAudioMs: 0,
  firstAudioJitterMs: 0,
  chunkIntervalMs: 0,
};

export const REALISTIC_LATENCY: ElevenLabsLatency = {
  firstAudioMs: 100,
  firstAudioJitterMs: 250,
  chunkIntervalMs: 80,
};

/**
 * What can go wrong on purpose. A fault is taken by the next websocket
 * connection or HTTP request (one fault each, in the order armed).
 * - `auth`: refused as a wrong key would be (HTTP 401 with the service's body).
 * - `drop`: the connection is cut (websocket terminated: 1006 for the client;
 *   HTTP socket destroyed) once `afterAudioMs` of audio was sent on it.
 * - `stall`: once `afterAudioMs` of audio was sent, nothing more is sent:
 *   no audio, no isFinal, no timeout, no close. Messages are still recorded.
 * - `malformed`: one frame that is not JSON (a truncated message) before the
 *   first audio, then business as usual. Over HTTP: a 200 with a JSON error
 *   body instead of audio, as a misbehaving proxy would answer.
 * - `slow-first-byte`: the first audio of the connection comes `delayMs` late.
 * - `status`: refused with HTTP `status` (handshake or request), the service's error body.
 */
export type ElevenLabsFault =
  | 'auth'
  | 'drop'
  | 'stall'
  | 'malformed'
  | 'slow-first-byte'
  | 'status';

export interface ElevenLabsFaultOptions {
  /** How many connections or requests get the fault. Default 1. */
  times?: number;
  /** `drop` and `stall`: audio sent before the fault strikes, in ms. Default 0. */
  afterAudioMs?: number;
  /** `slow-first-byte`: the extra wait before the first audio. Default 3000 ms. */
  delayMs?: number;
  /** `status`: the HTTP status answered. Default 500. */
  status?: number;
}

/** A fault as a connection or request took it. */
export interface ElevenLabsArmedFault {
  fault: ElevenLabsFault;
  afterAudioMs: number;
  delayMs: number;
  status?: number;
}

export type ElevenLabsSocketKind = 'multi-stream-input' | 'stream-input';

/** One websocket connection, for a test's assertions. */
export interface ElevenLabsConnection {
  /** 1 for the first connection, then 2, ... */
  readonly id: number;
  readonly kind: ElevenLabsSocketKind;
  /** The URL path as requested, `/v1` prefix included if sent. */
  readonly path: string;
  readonly voiceId: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Every client text frame, parsed (or the raw text when it was not JSON). */
  readonly messages: unknown[];
  /** Every server message sent, parsed (audio included), in order. */
  readonly sent: unknown[];
  /** The fault this connection took, if any. */
  readonly fault: ElevenLabsArmedFault | undefined;
  /** True once its `drop` or `stall` fault struck (nothing is sent on it after that). */
  faultStruck: boolean;
  /** Milliseconds of audio sent on this connection so far. */
  audioMsSent: number;
  /** The close code as this side saw it (1006 when the socket was cut). */
  closeCode?: number;
  closeReason?: string;
  /** Resolves once the socket is closed, whoever closed it. */
  readonly closed: Promise<void>;
}

/** One HTTP request, for a test's assertions. */
export interface ElevenLabsRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The JSON body, or the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  status?: number;
  fault?: ElevenLabsArmedFault;
}

/** The alignment object of an audio message: three arrays of equal length. */
export interface ElevenLabsAlignment {
  chars: string[];
  charStartTimesMs: number[];
  charDurationsMs: number[];
}
