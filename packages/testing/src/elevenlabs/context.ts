/** `generation_config.chunk_length_schedule`'s default (ELSPEC GenerationConfig). */
const DEFAULT_CHUNK_SCHEDULE: readonly number[] = [120, 160, 250, 290];

/** A sentence is complete at ., !, ? (or their CJK forms) followed by whitespace. */
const SENTENCE_END = /[.!?。！？](?=\s)\s*/g;

/**
 * The text side of one synthesis context: what was pushed and not yet
 * spoken, and when a piece of it must be spoken. The session owns timers and
 * audio; this only decides what text each generation speaks.
 */
export class TextBuffer {
  #text = '';
  #generations = 0;
  readonly #autoMode: boolean;
  readonly #schedule: readonly number[];

  constructor(autoMode: boolean, schedule: readonly number[] | undefined) {
    this.#autoMode = autoMode;
    this.#schedule = schedule && schedule.length > 0 ? schedule : DEFAULT_CHUNK_SCHEDULE;
  }

  get pending(): string {
    return this.#text;
  }

  /**
   * Appends `text` and returns what is now due for generation, if anything:
   * with auto_mode every complete sentence; without it, once the buffer
   * reaches the schedule's next length, everything up to the last space (a
   * word is never cut).
   */
  push(text: string): string | undefined {
    // A lone space is the protocol's keepalive (and the opening message); it
    // is only text when it separates words already buffered.
    if (text.trim() === '' && !/\S$/.test(this.#text)) return undefined;
    this.#text += text;
    if (this.#autoMode) {
      let end = 0;
      for (const match of this.#text.matchAll(SENTENCE_END)) end = match.index + match[0].length;
      return end > 0 ? this.#take(end) : undefined;
    }
    const threshold =
      this.#schedule[Math.min(this.#generations, this.#schedule.length - 1)] ?? Infinity;
    if (this.#text.length < threshold) return undefined;
    const lastSpace = this.#text.search(/\s\S*$/);
    return lastSpace > 0 ? this.#take(lastSpace + 1) : undefined;
  }

  /** Everything buffered (flush, close), or undefined when there is nothing to say. */
  takeAll(): string | undefined {
    return this.#take(this.#text.length);
  }

  #take(length: number): string | undefined {
    const taken = this.#text.slice(0, length);
    this.#text = this.#text.slice(length);
    if (taken.trim() === '') return undefined;
    this.#generations += 1;
    return taken;
  }
}
