/** One piece of what a connection was given: audio, or a Finalize asked for at that point. */
export type WindowEntry =
  | { kind: 'audio'; start: number; bytes: Uint8Array }
  | { kind: 'finalize'; start: number };

/**
 * The audio a connection has been given that the service has not settled yet
 * (no final result covers it), as 16-bit mono PCM with its stream time. If the
 * connection drops, the next one is sent this again, so the words in flight are
 * transcribed rather than lost. Bounded: past `limitSeconds` the oldest audio
 * goes (it was sent, or, while down, is lost; `add` says how much).
 */
export class ReplayWindow {
  readonly #bytesPerSecond: number;
  readonly #limitBytes: number;
  #entries: WindowEntry[] = [];
  #bytes = 0;

  constructor(sampleRate: number, limitSeconds: number) {
    this.#bytesPerSecond = sampleRate * 2;
    this.#limitBytes = Math.round(limitSeconds * sampleRate) * 2;
  }

  /** Stream time of the oldest entry, if any. */
  get start(): number | undefined {
    return this.#entries[0]?.start;
  }

  /** Seconds of audio held. */
  get seconds(): number {
    return this.#bytes / this.#bytesPerSecond;
  }

  get entries(): readonly WindowEntry[] {
    return this.#entries;
  }

  /** Adds audio starting at stream time `start`; returns the seconds of old audio it pushed out. */
  addAudio(start: number, bytes: Uint8Array): number {
    this.#entries.push({ kind: 'audio', start, bytes });
    this.#bytes += bytes.byteLength;
    let dropped = 0;
    while (this.#bytes > this.#limitBytes) {
      const first = this.#entries.shift()!;
      if (first.kind !== 'audio') continue;
      this.#bytes -= first.bytes.byteLength;
      dropped += first.bytes.byteLength;
    }
    return dropped / this.#bytesPerSecond;
  }

  addFinalize(at: number): void {
    this.#entries.push({ kind: 'finalize', start: at });
  }

  /** Forgets what lies before stream time `until`, cutting an audio entry that straddles it. */
  settle(until: number): void {
    while (this.#entries.length > 0) {
      const first = this.#entries[0]!;
      if (first.kind === 'finalize') {
        if (first.start > until) return;
        this.#entries.shift();
        continue;
      }
      const end = first.start + first.bytes.byteLength / this.#bytesPerSecond;
      if (end <= until) {
        this.#entries.shift();
        this.#bytes -= first.bytes.byteLength;
        continue;
      }
      // Cut on the nearest sample boundary (times come from sample counts, so rounding
      // only undoes floating-point error), so the replay starts where the settled part ended.
      const cutBytes = Math.round(((until - first.start) * this.#bytesPerSecond) / 2) * 2;
      if (cutBytes >= first.bytes.byteLength) {
        this.#entries.shift();
        this.#bytes -= first.bytes.byteLength;
        continue;
      }
      if (cutBytes > 0) {
        this.#entries[0] = {
          kind: 'audio',
          start: first.start + cutBytes / this.#bytesPerSecond,
          bytes: first.bytes.subarray(cutBytes),
        };
        this.#bytes -= cutBytes;
      }
      return;
    }
  }

  /** Whether audio not yet settled is held: a Finalize then has something to answer. */
  get hasAudio(): boolean {
    return this.#bytes > 0;
  }
}
