import { AudioFrame } from '@livekit/rtc-node';

interface TimedFrame {
  frame: AudioFrame;
  /** Seconds from the start of the stream. */
  start: number;
  end: number;
}

/**
 * The frames as they were pushed (their own rate and channels, not the model's), each with its
 * place in the stream's time, so that an event can hand out exactly the audio between two
 * times. The owner decides what to keep: `dropBefore()` while nobody speaks, nothing dropped
 * while an utterance lasts.
 */
export class FrameHistory {
  #frames: TimedFrame[] = [];
  #duration = 0;

  /** Seconds of audio held. */
  get duration(): number {
    return this.#duration;
  }

  push(frame: AudioFrame, start: number, end: number): void {
    this.#frames.push({ frame, start, end });
    this.#duration += end - start;
  }

  /** Forgets the frames that end at or before `time`. */
  dropBefore(time: number): void {
    let count = 0;
    while (count < this.#frames.length && this.#frames[count]!.end <= time) {
      this.#duration -= this.#frames[count]!.end - this.#frames[count]!.start;
      count++;
    }
    // A few dozen frames at most (the prefix padding), so splicing is cheap.
    if (count > 0) this.#frames.splice(0, count);
    if (this.#frames.length === 0) this.#duration = 0;
  }

  /**
   * The audio between `from` and `to`, in a new list: frames inside are shared (frames are not
   * modified once pushed), the two at the edges are cut at the nearest sample into copies.
   */
  between(from: number, to: number): AudioFrame[] {
    const result: AudioFrame[] = [];
    for (const timed of this.#frames) {
      if (timed.end <= from || timed.start >= to) continue;
      if (timed.start >= from && timed.end <= to) result.push(timed.frame);
      else {
        const cut = cutFrame(timed, Math.max(from, timed.start), Math.min(to, timed.end));
        if (cut) result.push(cut);
      }
    }
    return result;
  }
}

function cutFrame(timed: TimedFrame, from: number, to: number): AudioFrame | undefined {
  const { frame, start } = timed;
  const first = Math.max(0, Math.round((from - start) * frame.sampleRate));
  const last = Math.min(frame.samplesPerChannel, Math.round((to - start) * frame.sampleRate));
  if (last <= first) return undefined;
  const data = frame.data.slice(first * frame.channels, last * frame.channels);
  return new AudioFrame(data, frame.sampleRate, frame.channels, last - first);
}
