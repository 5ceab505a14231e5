import { log, type metrics, plugin, type stt, utils } from '@agents/core';
import { describeRefusal } from './errors.js';
import { liveURL, type ResolvedOptions } from './options.js';
import { ReplayWindow } from './replay-window.js';
import { MalformedMessageError, type TranscriptMapper } from './transcripts.js';

const KEEPALIVE = JSON.stringify({ type: 'KeepAlive' });
const FINALIZE = JSON.stringify({ type: 'Finalize' });
const CLOSE_STREAM = JSON.stringify({ type: 'CloseStream' });

/**
 * Unsettled audio kept for a reconnect. Deepgram settles a stretch within a few
 * seconds (a final, even an empty one over silence), so 15 s covers the words in
 * flight with room to spare.
 */
export const REPLAY_WINDOW_SECONDS = 15;

/**
 * Audio the open socket may hold unsent before `roomFor` makes the writer wait.
 * Deepgram reads in real time, so a file fed fast (or a slow network) would
 * otherwise pile all of it up in memory; a couple of seconds keeps the pipe full.
 */
export const LIVE_BUFFER_SECONDS = 2;

export interface ConnectionInit {
  label: string;
  options: ResolvedOptions;
  language: string;
  /** Stream time (s) at which this connection's audio starts. */
  startsAt: number;
  mapper: TranscriptMapper;
  onEvents: (events: stt.SpeechEvent[]) => void;
  onMetrics: (metrics: metrics.ConnectionMetrics) => void;
  signal: AbortSignal;
}

/**
 * One live session with Deepgram, over one `ReconnectingSocket`. Streaming uses
 * that socket and not the SDK's live client: the SDK reconnects by itself (up to
 * 30 times on any close but 1000, with its own delays) and would fight the one
 * resilience layer that owns backoff, replay and metrics; the SDK gives us its
 * message types and the pre-recorded client instead.
 *
 * Deepgram restarts its clock at 0 on every connection, so each (re)connection
 * is first sent the audio it must transcribe again (the replay window), and its
 * times are shifted by the stream time at which that audio starts.
 */
export class Connection {
  readonly options: ResolvedOptions;
  readonly #init: ConnectionInit;
  readonly #socket: plugin.ReconnectingSocket;
  readonly #window: ReplayWindow;
  /**
   * The open connection, once the window was replayed on it. Audio goes out through
   * it rather than `socket.send`, so that the socket never replays audio itself: the
   * window is the one record of what must be sent again, and nothing goes twice.
   * It sends nothing (returns false) once its connection is gone; the audio is in
   * the window by then, for the next connection.
   */
  #live: plugin.OpenSocket | undefined;
  /** Stream time at which this connection's clock started. */
  #offset: number;
  /** Stream time at which the next audio starts. */
  #next: number;
  #lostWhileDown = 0;
  /** Resolves when the next connection is live. */
  #whenLive = new utils.Future<void>();

  constructor(init: ConnectionInit) {
    this.#init = init;
    this.options = init.options;
    this.#offset = init.startsAt;
    this.#next = init.startsAt;
    const { options } = init;
    this.#window = new ReplayWindow(options.sampleRate, REPLAY_WINDOW_SECONDS);
    this.#socket = new plugin.ReconnectingSocket({
      label: init.label,
      request: () => ({
        url: liveURL(options, init.language),
        headers: { Authorization: `Token ${options.apiKey}` },
      }),
      connectOptions: options.connectOptions,
      apiKeyName: 'DEEPGRAM_API_KEY',
      describeRefusal,
      keepalive: { intervalMs: options.keepaliveIntervalMs, message: () => KEEPALIVE },
      // Only control messages could wait there: audio waits in the replay window.
      bufferLimitBytes: 64 * 1024,
      onOpen: (socket) => this.#onOpen(socket),
      onMessage: (data, isBinary) => this.#onMessage(data, isBinary),
      onLost: () => this.#down(),
      onMetrics: init.onMetrics,
      signal: init.signal,
    });
  }

  /** Resolves after a clean end or close; rejects with the error the socket gave up on. */
  get done(): Promise<void> {
    return this.#socket.done;
  }

  open(): Promise<void> {
    return this.#socket.open();
  }

  /**
   * Undefined when `seconds` more audio can be taken now; otherwise a promise that
   * settles once there is room, or the stream is over. While connected, room is the
   * socket holding at most `LIVE_BUFFER_SECONDS` unsent (a stall or drop meanwhile
   * reconnects, which settles it too); while down, it is the replay window having
   * room, or the connection being live again. Audio faster than real time (a file)
   * waits here; live audio backs up into the stream's input, which drops it, bounded.
   */
  roomFor(seconds: number): Promise<void> | undefined {
    const live = this.#live;
    if (live) {
      const bound = LIVE_BUFFER_SECONDS * this.options.sampleRate * 2;
      if (live.bufferedAmount <= bound) return undefined;
      const stallMs = this.options.connectOptions.timeoutMs;
      return Promise.race([live.drained(bound, stallMs), this.#socket.done]);
    }
    if (this.#window.seconds + seconds <= REPLAY_WINDOW_SECONDS) return undefined;
    return Promise.race([this.#whenLive.promise, this.#socket.done]);
  }

  /** Sends 16-bit mono PCM that starts at stream time `start`. */
  sendAudio(start: number, bytes: Uint8Array): void {
    this.#next = start + bytes.byteLength / 2 / this.options.sampleRate;
    const pushedOut = this.#window.addAudio(start, bytes);
    if (this.#live?.send(bytes)) return;
    // Gone before `onLost` said so: the audio waits in the window from now on.
    this.#down();
    if (pushedOut > 0) {
      if (this.#lostWhileDown === 0) {
        log().warn(
          { stt: this.#init.label, windowSeconds: REPLAY_WINDOW_SECONDS },
          'Deepgram is unreachable for longer than the replay window: dropping the oldest audio',
        );
      }
      this.#lostWhileDown += pushedOut;
    }
  }

  /** Asks Deepgram to settle what it has (Finalize); answered with a final result. */
  finalize(): void {
    if (!this.#live) {
      this.#window.addFinalize(this.#next);
      return;
    }
    this.#live.send(FINALIZE);
    // Nothing unsettled: Deepgram may rightly say nothing, which is no stall.
    if (this.#window.hasAudio) this.#socket.expectReply(this.options.connectOptions.timeoutMs);
  }

  /**
   * Sends CloseStream and waits for the last results and the server's close, all
   * within `timeoutMs`. A drop meanwhile reconnects: `onOpen` replays the unsettled
   * audio to the new connection, then CloseStream goes again, so the last results
   * still cover the whole tail, once (the settled part is never sent again).
   */
  end(timeoutMs: number): Promise<void> {
    return this.#socket.end({ finalMessage: CLOSE_STREAM, timeoutMs });
  }

  close(): Promise<void> {
    return this.#socket.close();
  }

  #down(): void {
    this.#live = undefined;
    if (this.#whenLive.done) this.#whenLive = new utils.Future<void>();
  }

  #onOpen(socket: plugin.OpenSocket): void {
    this.#offset = this.#window.start ?? this.#next;
    if (socket.generation > 0) {
      log().info(
        {
          stt: this.#init.label,
          generation: socket.generation,
          replaySeconds: Number(this.#window.seconds.toFixed(3)),
          lostSeconds: Number(this.#lostWhileDown.toFixed(3)),
          fromStreamTime: Number(this.#offset.toFixed(3)),
        },
        'Deepgram reconnected: sending the unsettled audio again',
      );
    }
    for (const entry of this.#window.entries) {
      socket.send(entry.kind === 'audio' ? entry.bytes : FINALIZE);
    }
    this.#lostWhileDown = 0;
    this.#live = socket;
    this.#whenLive.resolve();
  }

  #onMessage(data: string | Uint8Array, isBinary: boolean): void {
    if (isBinary || typeof data !== 'string') {
      log().warn({ stt: this.#init.label }, 'Deepgram sent a binary message; ignoring it');
      return;
    }
    let mapped: ReturnType<TranscriptMapper['map']>;
    try {
      mapped = this.#init.mapper.map(JSON.parse(data), this.#offset);
    } catch (error) {
      if (!(error instanceof SyntaxError || error instanceof MalformedMessageError)) throw error;
      log().warn(
        { stt: this.#init.label, err: error, message: data.slice(0, 200) },
        'Deepgram sent a malformed message; ignoring it',
      );
      return;
    }
    if (mapped.settledUntil !== undefined) this.#window.settle(mapped.settledUntil);
    if (mapped.events.length > 0) this.#init.onEvents(mapped.events);
  }
}
