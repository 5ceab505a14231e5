import { AudioFrame } from '@livekit/rtc-node';

/**
 * Samples per shared block of copies: about 34 frames of 10 ms at 48 kHz mono. Copying each
 * frame into an Int16Array of its own (`slice()`) measured about 5 us of CPU per frame here
 * (a backing store allocated, zeroed and later swept per copy), against 0.2 us for a view
 * into a block; with 200 live streams that is a tenth of a core.
 */
const BLOCK_SAMPLES = 16_384;

/**
 * Copies of samples, packed into shared blocks: each copy is a view of its own range of a
 * block, never written again, so copies can be handed out as frames and kept by anyone. A
 * block is freed by the garbage collector once no copy in it is referenced.
 */
export class SampleCopier {
  #block = new Int16Array(0);
  #used = 0;

  copy(data: Int16Array, length: number): Int16Array {
    if (this.#used + length > this.#block.length) {
      this.#block = new Int16Array(Math.max(BLOCK_SAMPLES, length));
      this.#used = 0;
    }
    const at = this.#used;
    this.#block.set(length === data.length ? data : data.subarray(0, length), at);
    this.#used = at + length;
    return this.#block.subarray(at, at + length);
  }
}

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
   * The audio between `from` and `to`, as new frames (the two at the edges cut at the nearest
   * sample). Each has an Int16Array of its own, not a view into a block of `SampleCopier`:
   * rtc-node hands `data.buffer` whole to its native code (AudioSource, resampler), so a frame
   * that is a view would send the whole block.
   */
  between(from: number, to: number): AudioFrame[] {
    const result: AudioFrame[] = [];
    for (const timed of this.#frames) {
      if (timed.end <= from || timed.start >= to) continue;
      const cut = cutFrame(timed, Math.max(from, timed.start), Math.min(to, timed.end));
      if (cut) result.push(cut);
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
