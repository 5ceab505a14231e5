import { APIError, tts, utils } from '@agents/core';
import { alignmentOffsetMs, WordAligner } from './alignment.js';
import type { Connection, Context, ContextEvent } from './connection.js';
import type { AudioDecoder } from './decoder.js';

/**
 * Audio a context may hold for a consumer that does not read: about five
 * minutes of 44.1 kHz PCM. Past it the stream fails (the socket is shared, so
 * it cannot be paused for one slow reader).
 */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** A context's events, buffered between the socket and the stream's output loop. */
class ContextInbox {
  readonly #events: (ContextEvent | { type: 'text'; text: string })[] = [];
  #bytes = 0;
  #wake: (() => void) | undefined;

  put(event: ContextEvent | { type: 'text'; text: string }): void {
    if (event.type === 'audio') {
      this.#bytes += event.audio.length;
      if (this.#bytes > MAX_BUFFERED_BYTES) {
        this.#events.length = 0;
        event = {
          type: 'error',
          error: new APIError(
            `the stream's consumer is not reading: more than ${MAX_BUFFERED_BYTES} bytes of audio waited`,
          ),
        };
      }
    }
    this.#events.push(event);
    this.#wake?.();
  }

  async take(signal: AbortSignal): Promise<ContextEvent | { type: 'text'; text: string }> {
    for (;;) {
      const event = this.#events.shift();
      if (event) {
        if (event.type === 'audio') this.#bytes -= event.audio.length;
        return event;
      }
      signal.throwIfAborted();
      // Woken by the next event or the stream's close; no deadline needed beyond
      // those: the socket's own deadlines turn a silent service into an error event.
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        this.#wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      this.#wake = undefined;
    }
  }
}

interface Segment {
  context: Context;
  connection: Connection;
  inbox: ContextInbox;
}

/**
 * Streams text to the service as it arrives, one context per segment on the
 * TTS's shared connection. Text is sent in whole words (everything up to the
 * last whitespace, at once): ElevenLabs joins the pieces it is sent, and a
 * word split across two of them can be spoken as two. When to generate is
 * left to the service's chunk schedule (`chunkLengthSchedule`), not
 * `auto_mode`: auto_mode is documented for whole sentences only and loses
 * quality on partial ones, and the schedule already buffers, so cutting
 * sentences here would only add latency. The segment's end flushes it.
 */
export class ElevenLabsStream extends tts.SynthesizeStream {
  readonly #connection: () => Connection;
  readonly #decoder: () => AudioDecoder;
  readonly #open = new Set<Segment>();
  /** Set when the output side stops: text still queued must not open contexts. */
  #stopped = false;

  constructor(owner: tts.TTS, connection: () => Connection, decoder: () => AudioDecoder) {
    super(owner);
    this.#connection = connection;
    this.#decoder = decoder;
  }

  protected async run(): Promise<void> {
    // Segments whose text is being sent, in order: a next one may be sent
    // while an earlier one still plays out.
    const segments = new utils.AsyncQueue<Segment>({ capacity: 16 });
    const pump = this.#sendText(segments).finally(() => segments.close());
    try {
      for await (const segment of segments) await this.#play(segment);
      await pump;
    } finally {
      this.#stopped = true;
      segments.close();
      for (const segment of this.#open) segment.connection.releaseContext(segment.context);
      this.#open.clear();
      // Not awaited: if the output side failed first, the pump ends when the
      // input does, which is when run() returns.
      pump.catch(() => {});
    }
  }

  async #sendText(segments: utils.AsyncQueue<Segment>): Promise<void> {
    let segment: Segment | undefined;
    let pending = '';
    const send = (text: string) => {
      if (!segment || text === '') return;
      segment.connection.sendText(segment.context, text);
      segment.inbox.put({ type: 'text', text });
    };
    const end = () => {
      if (!segment) return;
      send(pending);
      pending = '';
      segment.connection.endContext(segment.context);
      segment = undefined;
    };
    for await (const item of this.text()) {
      if (this.#stopped) return;
      if (item === utils.FLUSH) {
        end();
        continue;
      }
      if (!segment) {
        segment = this.#openSegment();
        await segments.put(segment, this.signal);
      }
      pending += item;
      const cut = lastWordBoundary(pending);
      if (cut > 0) {
        send(pending.slice(0, cut));
        pending = pending.slice(cut);
      }
    }
    // Input ended mid-segment: what was pushed is still spoken.
    if (!this.#stopped) end();
  }

  #openSegment(): Segment {
    const connection = this.#connection();
    const inbox = new ContextInbox();
    const context = connection.openContext((event) => inbox.put(event));
    const segment = { context, connection, inbox };
    this.#open.add(segment);
    return segment;
  }

  async #play(segment: Segment): Promise<void> {
    await this.startSegment();
    const decoder = this.#decoder();
    const aligner = new WordAligner();
    let audioMs = 0;
    // Where the times of the current service-side context start: 0, or the
    // audio received before the context resumed on a new connection.
    let contextStartMs = 0;
    try {
      for (;;) {
        const event = await segment.inbox.take(this.signal);
        switch (event.type) {
          case 'text':
            this.noteTextSent(event.text);
            break;
          case 'resumed':
            contextStartMs = audioMs;
            break;
          case 'audio': {
            const before = audioMs - contextStartMs;
            const decoded = await decoder.decode(event.audio);
            audioMs += decoded.durationMs;
            if (event.normalized) {
              const offset = contextStartMs + alignmentOffsetMs(event.normalized, before);
              const words = aligner.push(event.normalized, offset);
              if (words.length > 0) this.pushWordTimings(words);
            }
            for (const chunk of decoded.audio) await this.pushAudio(chunk);
            break;
          }
          case 'final': {
            for (const chunk of (await decoder.flush()).audio) await this.pushAudio(chunk);
            const words = aligner.finish();
            if (words.length > 0) this.pushWordTimings(words);
            this.#open.delete(segment);
            await this.endSegment();
            return;
          }
          case 'error':
            throw event.error;
        }
      }
    } finally {
      decoder.close();
    }
  }
}

/** Index just past the last whitespace, or the whole text when a long run has none (no spaces in the script). */
function lastWordBoundary(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) {
    if (/\s/.test(text[i]!)) return i + 1;
  }
  return text.length >= 40 ? text.length : 0;
}
