import type { Future } from '../../utils/future.js';
import type { PlaybackFinished } from '../io.js';

/** One utterance of agent audio, from its first `captureFrame` to the end of its playout. */
export interface Segment {
  readonly id: string;
  readonly done: Future<PlaybackFinished>;
  /** Unplayed audio; the first chunk is read from `offset`. */
  chunks: Int16Array[];
  offset: number;
  /** Unplayed samples held. */
  buffered: number;
  /** Samples the playhead has passed. */
  played: number;
  /** `flush()` was called: no more audio comes. */
  flushed: boolean;
  started: boolean;
}

/** The segments waiting to play, in order; only the last may still be open. */
export class SegmentQueue {
  #segments: Segment[] = [];
  #buffered = 0;

  get buffered(): number {
    return this.#buffered;
  }

  get head(): Segment | undefined {
    return this.#segments[0];
  }

  /** In play order. */
  get segments(): readonly Segment[] {
    return this.#segments;
  }

  get open(): Segment | undefined {
    const last = this.#segments.at(-1);
    return last && !last.flushed ? last : undefined;
  }

  openSegment(id: string, done: Future<PlaybackFinished>): Segment {
    const segment: Segment = {
      id,
      done,
      chunks: [],
      offset: 0,
      buffered: 0,
      played: 0,
      flushed: false,
      started: false,
    };
    this.#segments.push(segment);
    return segment;
  }

  find(id: string): Segment | undefined {
    return this.#segments.find((segment) => segment.id === id);
  }

  append(segment: Segment, samples: Int16Array): void {
    if (samples.length === 0) return;
    // A copy: the producer may reuse its frame's buffer once captureFrame returns.
    segment.chunks.push(samples.slice());
    segment.buffered += samples.length;
    this.#buffered += samples.length;
  }

  close(segment: Segment): void {
    segment.flushed = true;
  }

  shift(): Segment | undefined {
    return this.#segments.shift();
  }

  /** Removes every segment (the caller finishes them). */
  clear(): Segment[] {
    const cleared = this.#segments;
    this.#segments = [];
    this.#buffered = 0;
    return cleared;
  }

  /**
   * Up to `count` samples from `skip` samples past the playhead on, across
   * segments, without consuming them.
   */
  peek(count: number, skip = 0): Int16Array {
    const out = new Int16Array(Math.max(0, Math.min(count, this.#buffered - skip)));
    let filled = 0;
    let toSkip = skip;
    for (const segment of this.#segments) {
      let offset = segment.offset;
      for (const chunk of segment.chunks) {
        const available = chunk.length - offset;
        if (toSkip >= available) {
          toSkip -= available;
          offset = 0;
          continue;
        }
        offset += toSkip;
        toSkip = 0;
        const part = chunk.subarray(offset, offset + out.length - filled);
        out.set(part, filled);
        filled += part.length;
        offset = 0;
        if (filled === out.length) return out;
      }
    }
    return out;
  }

  /** Consumes up to `count` samples of `segment` (the head), advancing its playhead. */
  take(segment: Segment, count: number): Int16Array {
    const out = new Int16Array(Math.min(count, segment.buffered));
    let filled = 0;
    while (filled < out.length) {
      const chunk = segment.chunks[0]!;
      const part = chunk.subarray(segment.offset, segment.offset + out.length - filled);
      out.set(part, filled);
      filled += part.length;
      segment.offset += part.length;
      if (segment.offset === chunk.length) {
        segment.chunks.shift();
        segment.offset = 0;
      }
    }
    segment.buffered -= out.length;
    segment.played += out.length;
    this.#buffered -= out.length;
    return out;
  }
}

/** Playout results kept for `waitForPlayout` after a segment finished. */
const FINISHED_KEPT = 64;

/**
 * How segments ended: settles each segment's `done` once, remembers the last
 * results for late `waitForPlayout` calls, and reports each to `onFinished`.
 */
export class PlayoutLedger {
  readonly #finished = new Map<string, PlaybackFinished>();
  readonly #onFinished: (result: PlaybackFinished) => void;

  constructor(onFinished: (result: PlaybackFinished) => void) {
    this.#onFinished = onFinished;
  }

  finish(segment: Segment, sampleRate: number, interrupted: boolean): void {
    const result: PlaybackFinished = {
      segmentId: segment.id,
      playbackPosition: segment.played / sampleRate,
      interrupted,
    };
    if (!segment.done.resolve(result)) return;
    this.#finished.set(segment.id, result);
    if (this.#finished.size > FINISHED_KEPT) {
      this.#finished.delete(this.#finished.keys().next().value as string);
    }
    this.#onFinished(result);
  }

  /** The `waitForPlayout` of an output: `id` undefined or '' means nothing was flushed. */
  wait(
    id: string | undefined,
    queue: SegmentQueue,
    signal?: AbortSignal,
  ): Promise<PlaybackFinished> {
    if (id === undefined || id === '') {
      return Promise.resolve({ segmentId: '', playbackPosition: 0, interrupted: false });
    }
    const finished = this.#finished.get(id);
    if (finished) return Promise.resolve(finished);
    const segment = queue.find(id);
    if (!segment) return Promise.reject(new Error(`no audio segment "${id}" on this output`));
    if (!signal) return segment.done.promise;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      segment.done.promise.then(
        (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}
