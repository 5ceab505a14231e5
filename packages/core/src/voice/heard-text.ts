import { frameDuration } from '../audio/frames.js';
import type { TimedWord } from '../stt/events.js';
import type { SynthesizedAudio } from '../tts/tts.js';

export interface AlignmentOptions {
  hyphenateWord: (word: string) => string[];
  /** Syllables per second, for audio whose length is not known yet. */
  transcriptionSpeed: number;
}

/** Text whose audio starts at `start` seconds into the segment (a sentence, usually). */
interface Chunk {
  start: number;
  /** Index of its first word in `#words`. */
  first: number;
  syllables: number;
}

interface Word {
  text: string;
  syllables: number;
  chunk: number;
  /** Set once the TTS's timings cover it. */
  timed?: { start: number; end: number };
}

export interface HeardWord {
  text: string;
  /** Seconds from the segment's first sample (`Infinity` while not known). */
  start: number;
  end: number;
}

/** How many text words ahead a TTS word is looked for (the TTS may expand "$5" into two words). */
const MATCH_WINDOW = 8;

/**
 * Maps a playback position in one segment of synthesized audio to the words
 * heard by then. The words shown are the text given to the TTS, as written
 * (with its punctuation), cut on whitespace; a chunk's end (a sentence, with
 * the stream adapter) is a word boundary too, so sentences never glue.
 *
 * Their times come from the TTS's word timings when it gives any (matched to
 * the text by their letters: a timing that carries no punctuation, or spells
 * a number out, still times the word as written; text past the last timing
 * waits for it). Otherwise each chunk spans from its first frame to the
 * next chunk's and its words are placed by syllables inside; the last chunk,
 * whose audio is still coming, is estimated at the speaking rate measured on
 * the chunks before it. A word counts as heard once its middle has played.
 *
 * Work is incremental: text is split once, a finished chunk's times are
 * computed once, and `heardCount` resumes from a known count, so following a
 * long reply tick by tick stays linear.
 */
export class Alignment {
  readonly #options: AlignmentOptions;
  readonly #chunks: Chunk[] = [];
  readonly #words: Word[] = [];
  readonly #timed: TimedWord[] = [];
  /** Times of words in chunks that are over, by syllables (the last chunk is computed per query). */
  readonly #settled: { start: number; end: number }[] = [];
  /** Next text word a TTS timing may match. */
  #matchFrom = 0;
  /** Seconds and syllables of the finished chunks: their measured speaking rate. */
  #settledSeconds = 0;
  #settledSyllables = 0;
  #audioSeconds = 0;
  #complete = false;
  #tailCache: { key: number; chunks: number; spans: { start: number; end: number }[] } | undefined;

  constructor(options: AlignmentOptions) {
    this.#options = options;
  }

  get audioSeconds(): number {
    return this.#audioSeconds;
  }

  addAudio(audio: SynthesizedAudio): void {
    if (audio.deltaText.trim()) this.#addChunk(audio.deltaText);
    if (audio.words) this.addWords(audio.words);
    this.#audioSeconds += frameDuration(audio.frame);
  }

  addWords(words: readonly TimedWord[]): void {
    for (const word of words) {
      this.#timed.push(word);
      this.#match(word);
    }
  }

  /** No more audio will come: the last chunk ends with the audio. */
  markComplete(): void {
    this.#complete = true;
  }

  /** Words known so far (`words().length`). */
  get wordCount(): number {
    return this.#count();
  }

  /** Every word with its time span. */
  words(): HeardWord[] {
    const out: HeardWord[] = [];
    for (let i = 0; i < this.#count(); i++) out.push(this.wordAt(i));
    return out;
  }

  /**
   * How many words (a prefix of `words()`) are heard by `position`. `from`, a
   * count known to be heard already, saves rescanning them.
   */
  heardCount(position: number, from = 0): number {
    const count = this.#count();
    let heard = Math.min(from, count);
    while (heard < count) {
      const word = this.wordAt(heard);
      if ((word.start + word.end) / 2 > position + 1e-9) break;
      heard++;
    }
    return heard;
  }

  /** The words heard by `position` seconds, joined by spaces. */
  heardText(position: number): string {
    return this.heardWords(position)
      .map((w) => w.text)
      .join(' ');
  }

  heardWords(position: number): HeardWord[] {
    const heard: HeardWord[] = [];
    const count = this.heardCount(position);
    for (let i = 0; i < count; i++) heard.push(this.wordAt(i));
    return heard;
  }

  /** Text words, or with no text at all (a TTS that only times words), the timed words. */
  #count(): number {
    return this.#words.length > 0 ? this.#words.length : this.#timed.length;
  }

  /** Word `index` of `words()`, without building the list. */
  wordAt(index: number): HeardWord {
    if (this.#words.length === 0) {
      const w = this.#timed[index]!;
      return { text: w.text, start: w.startTime, end: w.endTime };
    }
    const word = this.#words[index]!;
    // Timings decide once one has matched the text (until then the syllables pace it).
    if (this.#matchFrom > 0) return { text: word.text, ...(word.timed ?? this.#untimed(index)) };
    const span = this.#settled[index] ?? this.#tail()[index - this.#chunks.at(-1)!.first]!;
    return { text: word.text, ...span };
  }

  /** Past the last timing: not known yet, or once the audio is complete, the rest of it. */
  #untimed(index: number): { start: number; end: number } {
    if (!this.#complete) return { start: Infinity, end: Infinity };
    const from = this.#words[this.#matchFrom - 1]!.timed!.end;
    const step = Math.max(0, this.#audioSeconds - from) / (this.#words.length - this.#matchFrom);
    const k = index - this.#matchFrom;
    return { start: from + k * step, end: from + (k + 1) * step };
  }

  #addChunk(text: string): void {
    this.#settleLastChunk();
    const chunk: Chunk = { start: this.#audioSeconds, first: this.#words.length, syllables: 0 };
    const index = this.#chunks.push(chunk) - 1;
    for (const piece of text.split(/\s+/)) {
      if (!piece) continue;
      const syllables = this.#syllables(piece);
      chunk.syllables += syllables;
      this.#words.push({ text: piece, syllables, chunk: index });
    }
  }

  /** A new chunk starts: the one before it now has its real length. */
  #settleLastChunk(): void {
    const last = this.#chunks.at(-1);
    if (!last) return;
    const duration = this.#audioSeconds - last.start;
    this.#settledSeconds += duration;
    this.#settledSyllables += last.syllables;
    this.#settled.push(...this.#place(last, duration));
  }

  /**
   * The last chunk's words: it lasts the audio so far, or while it is still
   * growing, at least what its syllables take at the rate measured so far.
   * Cached until more audio comes.
   */
  #tail(): { start: number; end: number }[] {
    const key = this.#complete ? -1 : this.#audioSeconds;
    if (this.#tailCache?.key === key && this.#tailCache.chunks === this.#chunks.length) {
      return this.#tailCache.spans;
    }
    const chunk = this.#chunks.at(-1)!;
    const received = this.#audioSeconds - chunk.start;
    const rate =
      this.#settledSeconds > 0 && this.#settledSyllables > 0
        ? this.#settledSyllables / this.#settledSeconds
        : this.#options.transcriptionSpeed;
    const duration = this.#complete ? received : Math.max(received, chunk.syllables / rate);
    const spans = this.#place(chunk, duration);
    this.#tailCache = { key, chunks: this.#chunks.length, spans };
    return spans;
  }

  /** The words of `chunk` when it lasts `duration` s: each its share by syllables. */
  #place(chunk: Chunk, duration: number): { start: number; end: number }[] {
    const count = this.#words.length - chunk.first;
    const spans: { start: number; end: number }[] = [];
    let done = 0;
    for (let j = 0; j < count; j++) {
      const own = this.#words[chunk.first + j]!.syllables;
      const from = chunk.syllables > 0 ? done / chunk.syllables : j / count;
      done += own;
      const to = chunk.syllables > 0 ? done / chunk.syllables : (j + 1) / count;
      spans.push({ start: chunk.start + from * duration, end: chunk.start + to * duration });
    }
    return spans;
  }

  /**
   * Times the next text word that reads like `timed`; text words skipped on
   * the way (what the TTS spelled differently) share the gap before it.
   */
  #match(timed: TimedWord): void {
    const key = letters(timed.text);
    if (!key) return;
    const end = Math.min(this.#words.length, this.#matchFrom + MATCH_WINDOW);
    for (let i = this.#matchFrom; i < end; i++) {
      if (letters(this.#words[i]!.text) !== key) continue;
      const skipped = i - this.#matchFrom;
      const gapStart = this.#matchFrom > 0 ? this.#words[this.#matchFrom - 1]!.timed!.end : 0;
      const step = (timed.startTime - gapStart) / Math.max(1, skipped);
      for (let k = 0; k < skipped; k++) {
        this.#words[this.#matchFrom + k]!.timed = {
          start: gapStart + k * step,
          end: gapStart + (k + 1) * step,
        };
      }
      this.#words[i]!.timed = { start: timed.startTime, end: timed.endTime };
      this.#matchFrom = i + 1;
      return;
    }
  }

  #syllables(word: string): number {
    const clean = word.replace(/[^\p{L}\p{N}'-]/gu, '');
    if (!clean) return 0;
    return Math.max(1, this.#options.hyphenateWord(clean).length);
  }
}

/** What a word reads as, for matching the TTS's words to the text: letters and digits, lower case. */
function letters(word: string): string {
  return word.replace(/[^\p{L}\p{N}]/gu, '').toLowerCase();
}
