export type LevelListener = (at: number, ms: number, rms: number) => void;

interface Chunk {
  /** When its first sample plays (ms, `performance.now()`). */
  at: number;
  ms: number;
  rms: number;
}

/**
 * The level of what a room listener hears, for a voice.Timeline. A frame's
 * level is known when it is handed to the source but heard only later (the
 * source holds a queue), and a clear drops what was not heard yet: so each
 * 10 ms chunk waits here until the playhead passes it, and is reported then.
 * What waits is at most the source's queue plus one frame.
 */
export class PlayedLevels {
  readonly #chunkSamples: number;
  readonly #msPerSample: number;
  #waiting: Chunk[] = [];
  #listener: LevelListener | undefined;

  constructor(sampleRate: number, chunkMs = 10) {
    this.#chunkSamples = Math.max(1, Math.round((sampleRate * chunkMs) / 1000));
    this.#msPerSample = 1000 / sampleRate;
  }

  get listening(): boolean {
    return this.#listener !== undefined;
  }

  set listener(listener: LevelListener | undefined) {
    this.#listener = listener;
    if (!listener) this.#waiting = [];
  }

  /** `samples` were handed to play from `startAt` on. */
  handed(startAt: number, samples: Int16Array): void {
    if (!this.#listener) return;
    for (let from = 0; from < samples.length; from += this.#chunkSamples) {
      const to = Math.min(samples.length, from + this.#chunkSamples);
      let sum = 0;
      for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
      this.#waiting.push({
        at: startAt + from * this.#msPerSample,
        ms: (to - from) * this.#msPerSample,
        rms: Math.sqrt(sum / (to - from)) / 32768,
      });
    }
  }

  /** Reports the chunks the playhead has passed by `now`. */
  played(now: number): void {
    let done = 0;
    while (done < this.#waiting.length) {
      const chunk = this.#waiting[done]!;
      if (chunk.at + chunk.ms > now + 1e-6) break;
      done++;
      this.#listener?.(chunk.at, chunk.ms, chunk.rms);
    }
    if (done > 0) this.#waiting.splice(0, done);
  }

  /** The source's queue was cleared at `now`: the part of a chunk already playing counts, the rest never plays. */
  cleared(now: number): void {
    this.played(now);
    const playing = this.#waiting[0];
    if (playing && playing.at < now) this.#listener?.(playing.at, now - playing.at, playing.rms);
    this.#waiting = [];
  }
}
