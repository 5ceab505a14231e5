import type { Segment } from '../io/segments.js';

/** One frame handed to the rtc-node source: segment audio, a fade tail mixed in, or both. */
export interface HandedFrame {
  /** The segment whose next `segmentSamples` samples the frame carries (none: only a tail). */
  readonly segment: Segment | undefined;
  readonly segmentSamples: number;
  readonly tailSamples: number;
  /** Length of the frame: at least the longer of the two parts (the rest is silence). */
  readonly samples: number;
  /** Estimated time its first sample plays (ms, `performance.now()`). */
  readonly startAt: number;
  /** Samples of it already counted as played. */
  played: number;
}

/** What moved when the playhead advanced, per part. */
export interface Played {
  segment: Segment;
  samples: number;
  /** When the first of these samples played. */
  at: number;
}

/**
 * Our model of the native source's queue. rtc-node's source plays its queue in
 * real time (10 ms ticks) and says nothing of where it is, so the time each
 * handed frame plays is estimated: it starts when the frame before it ends, or
 * now if the queue had run dry. Played = handed − still queued.
 */
export class SourceTimeline {
  readonly #msPerSample: number;
  #frames: HandedFrame[] = [];
  /** When the queue runs dry. */
  #dryAt = 0;

  constructor(sampleRate: number) {
    this.#msPerSample = 1000 / sampleRate;
  }

  get empty(): boolean {
    return this.#frames.length === 0;
  }

  /** Milliseconds of audio the source still holds at `now`. */
  queuedMs(now: number): number {
    return Math.max(0, this.#dryAt - now);
  }

  /** Records a frame handed at `now`; returns when its first sample plays. */
  hand(
    now: number,
    segment: Segment | undefined,
    segmentSamples: number,
    tailSamples: number,
    samples = Math.max(segmentSamples, tailSamples),
  ): number {
    const startAt = Math.max(now, this.#dryAt);
    this.#frames.push({ segment, segmentSamples, tailSamples, samples, startAt, played: 0 });
    this.#dryAt = startAt + samples * this.#msPerSample;
    return startAt;
  }

  /**
   * Moves the playhead to `now`: returns the segment samples played since the
   * last call (in order) and the tail samples played.
   */
  advance(now: number): { segments: Played[]; tailSamples: number } {
    const segments: Played[] = [];
    let tailSamples = 0;
    while (this.#frames.length > 0) {
      const frame = this.#frames[0]!;
      const due = Math.min(
        frame.samples,
        Math.floor((now - frame.startAt) / this.#msPerSample + 1e-6),
      );
      if (due > frame.played) {
        const fromSegment =
          Math.min(due, frame.segmentSamples) - Math.min(frame.played, frame.segmentSamples);
        if (frame.segment && fromSegment > 0) {
          const at = frame.startAt + frame.played * this.#msPerSample;
          segments.push({ segment: frame.segment, samples: fromSegment, at });
        }
        tailSamples += Math.min(due, frame.tailSamples) - Math.min(frame.played, frame.tailSamples);
        frame.played = due;
      }
      if (frame.played < frame.samples) break;
      this.#frames.shift();
    }
    return { segments, tailSamples };
  }

  /**
   * When the playhead next crosses a boundary of the oldest frame not yet
   * counted as played (undefined: none left). It may be at or before `now`:
   * a frame can end between the `advance` that left it unfinished and this
   * call (a busy machine preempts the process in between); skipping it would
   * leave its segment unfinished, with nothing left to wake the output.
   */
  nextBoundary(now: number): number | undefined {
    const frame = this.#frames[0];
    if (!frame) return undefined;
    if (frame.startAt > now) return frame.startAt;
    return frame.startAt + frame.samples * this.#msPerSample;
  }

  /** The source's queue was cleared at `now`: nothing handed is queued any more. */
  clear(now: number): void {
    this.#frames = [];
    this.#dryAt = now;
  }
}
