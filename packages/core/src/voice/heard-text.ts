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
  text: string;
  start: number;
}

export interface HeardWord {
  text: string;
  /** Seconds from the segment's first sample. */
  start: number;
  end: number;
}

/**
 * Maps a playback position in one segment of synthesized audio to the words
 * heard by then. With word timings from the TTS those decide; otherwise each
 * piece of text the TTS reported (a sentence, with the stream adapter) spans
 * from its first frame to the next piece's, and inside it words are placed by
 * their syllables. A word counts as heard once its middle has been played.
 */
export class Alignment {
  readonly #options: AlignmentOptions;
  readonly #chunks: Chunk[] = [];
  readonly #timed: TimedWord[] = [];
  #audioSeconds = 0;
  #complete = false;

  constructor(options: AlignmentOptions) {
    this.#options = options;
  }

  get audioSeconds(): number {
    return this.#audioSeconds;
  }

  addAudio(audio: SynthesizedAudio): void {
    if (audio.deltaText) this.#chunks.push({ text: audio.deltaText, start: this.#audioSeconds });
    if (audio.words) this.#timed.push(...audio.words);
    this.#audioSeconds += frameDuration(audio.frame);
  }

  addWords(words: readonly TimedWord[]): void {
    this.#timed.push(...words);
  }

  /** No more audio will come: the last chunk ends with the audio. */
  markComplete(): void {
    this.#complete = true;
  }

  /** Every word with its time span. */
  words(): HeardWord[] {
    if (this.#timed.length > 0) {
      return this.#timed.map((w) => ({ text: w.text, start: w.startTime, end: w.endTime }));
    }
    const out: HeardWord[] = [];
    this.#chunks.forEach((chunk, i) => {
      const words = chunk.text.split(/\s+/).filter((w) => w.length > 0);
      const syllables = words.map((w) => this.#syllables(w));
      const total = syllables.reduce((a, b) => a + b, 0);
      const next = this.#chunks[i + 1];
      const duration = next
        ? next.start - chunk.start
        : this.#complete
          ? this.#audioSeconds - chunk.start
          : Math.max(this.#audioSeconds - chunk.start, total / this.#options.transcriptionSpeed);
      let done = 0;
      words.forEach((text, j) => {
        const from = total > 0 ? done / total : j / words.length;
        done += syllables[j]!;
        const to = total > 0 ? done / total : (j + 1) / words.length;
        out.push({ text, start: chunk.start + from * duration, end: chunk.start + to * duration });
      });
    });
    return out;
  }

  /** The words heard by `position` seconds, joined by spaces. */
  heardText(position: number): string {
    return this.heardWords(position)
      .map((w) => w.text)
      .join(' ');
  }

  heardWords(position: number): HeardWord[] {
    const heard: HeardWord[] = [];
    for (const word of this.words()) {
      if ((word.start + word.end) / 2 > position + 1e-9) break;
      heard.push(word);
    }
    return heard;
  }

  #syllables(word: string): number {
    const letters = word.replace(/[^\p{L}\p{N}'-]/gu, '');
    if (!letters) return 0;
    return Math.max(1, this.#options.hyphenateWord(letters).length);
  }
}
