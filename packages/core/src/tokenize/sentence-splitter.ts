import { collapseSpaces, isSpace, nextBoundaryCandidate } from './characters.js';
import { decideBoundary } from './sentence-boundary.js';
import type { TextSplitter } from './token-stream.js';

/** Settings of a `SentenceSplitter`; `SentenceTokenizer` validates and defaults them. */
export interface SentenceSplitterOptions {
  minSentenceLength: number;
  maxSentenceLength: number;
}

/**
 * Splits text into sentences as it arrives, for `SentenceTokenizer`.
 *
 * It scans each character once: candidates (terminators, newlines) are found from where
 * the last scan stopped, and each is judged by `decideBoundary` from a bounded window of
 * text. When the window reaches past what has arrived, the scan stops there and resumes
 * on the next push. So every push costs time in proportion to the new text plus the
 * unreleased sentence, never to everything pushed before, and the sentences are the
 * same however the text was cut into pushes.
 *
 * Short sentences are merged: finished sentences accumulate in a group, released once
 * it holds at least `minSentenceLength` characters; what is left at `finish()` is
 * released as it is. A sentence reaching `maxSentenceLength` characters with no
 * boundary is cut at its last space, so the text held stays bounded.
 */
export class SentenceSplitter implements TextSplitter {
  readonly #minLength: number;
  readonly #maxLength: number;
  /** Text from the start of the sentence being scanned to the end of what has arrived. */
  #text = '';
  /** Where the sentence being scanned starts in `#text` (0 after each push). */
  #sentenceStart = 0;
  /** Where the next candidate is looked for. */
  #pos = 0;
  /**
   * Finished sentences too short to release yet, whitespace collapsed but not trimmed: a
   * space kept at its end tells whether the next sentence joins it with a space (English)
   * or without (Chinese and Japanese, where none was written).
   */
  #group = '';

  constructor(options: SentenceSplitterOptions) {
    this.#minLength = options.minSentenceLength;
    this.#maxLength = options.maxSentenceLength;
  }

  push(text: string): string[] {
    const released: string[] = [];
    this.#text += text;
    this.#scan(false, released);
    // Drop the scanned sentences: the text held is the open sentence and its lookahead.
    this.#text = this.#text.slice(this.#sentenceStart);
    this.#pos -= this.#sentenceStart;
    this.#sentenceStart = 0;
    return released;
  }

  finish(): string[] {
    const released: string[] = [];
    this.#scan(true, released);
    const rest = collapseSpaces(this.#group + this.#text.slice(this.#sentenceStart)).trim();
    if (rest) released.push(rest);
    this.#text = '';
    this.#sentenceStart = 0;
    this.#pos = 0;
    this.#group = '';
    return released;
  }

  #scan(final: boolean, released: string[]): void {
    for (;;) {
      const limit = this.#sentenceStart + this.#maxLength;
      const candidate = nextBoundaryCandidate(this.#text, this.#pos);
      const tooLong = candidate < 0 ? this.#text.length >= limit : candidate >= limit;
      if (tooLong) {
        this.#endSentence(this.#cutPoint(limit), released);
        continue;
      }
      if (candidate < 0) {
        this.#pos = this.#text.length;
        return;
      }
      const context = { text: this.#text, sentenceStart: this.#sentenceStart, final };
      const decision = decideBoundary(context, candidate);
      if (decision.kind === 'wait') {
        this.#pos = candidate;
        return;
      }
      if (decision.kind === 'continue') this.#pos = decision.from;
      else this.#endSentence(decision.end, released);
    }
  }

  /** Ends the sentence being scanned at `end`, releasing the group once it is long enough. */
  #endSentence(end: number, released: string[]): void {
    this.#group = collapseSpaces(this.#group + this.#text.slice(this.#sentenceStart, end));
    this.#sentenceStart = end;
    this.#pos = end;
    const sentences = this.#group.trim();
    if (sentences.length > 0 && sentences.length >= this.#minLength) {
      released.push(sentences);
      this.#group = '';
    }
  }

  /** Where to cut an over-long sentence: its last space after some text, else the limit. */
  #cutPoint(limit: number): number {
    const text = this.#text;
    for (let i = limit - 1; i > this.#sentenceStart; i--) {
      if (isSpace(text[i]!) && !isSpace(text[i - 1]!)) return i;
    }
    return limit;
  }
}
