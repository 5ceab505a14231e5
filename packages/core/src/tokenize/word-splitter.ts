import { isDigit, isLetter, isLetterOrDigit, isSilentPunctuation, isSpace } from './characters.js';
import type { TextSplitter } from './token-stream.js';

/**
 * A word longer than this is cut, so a run of text with no spaces (a base64 blob) cannot
 * grow the text held without limit. Long URLs still fit.
 */
const MAX_WORD_LENGTH = 1000;

const APOSTROPHES = new Set(["'", '’', 'ʼ']);
const HYPHENS = new Set(['-', '‐', '‑']);

/**
 * With punctuation ignored, a punctuation character stays inside a word only between the
 * characters that make it part of one: an apostrophe between letters ("it's"), a period,
 * hyphen, or underscore between letters or digits ("e.g", "3.5", "well-known"), a comma
 * or colon between digits ("1,000", "10:30"). Anywhere else it separates words, so
 * removing it never glues two words together ("a—b" is "a" and "b").
 */
function joinsWord(before: string, ch: string, after: string): boolean {
  if (APOSTROPHES.has(ch)) return isLetter(before) && isLetter(after);
  if (ch === '.' || ch === '_' || HYPHENS.has(ch)) {
    return isLetterOrDigit(before) && isLetterOrDigit(after);
  }
  if (ch === ',' || ch === ':') return isDigit(before) && isDigit(after);
  return false;
}

/**
 * Splits text into words as it arrives, for `WordTokenizer`. A word ends at whitespace,
 * or, when punctuation is ignored, at punctuation that does not join it (see
 * `joinsWord`); a finished word is released once the next word has begun, and the last
 * one at `finish()`. Each character is classified once, looking one character back and
 * one ahead, so the words do not depend on how the text was cut into pushes.
 */
export class WordSplitter implements TextSplitter {
  readonly #ignorePunctuation: boolean;
  /** Text from the start of the word being read (or the scan position) onwards. */
  #text = '';
  /** The next character to classify. */
  #pos = 0;
  /** Where the word being read starts in `#text`; -1 between words. */
  #wordStart = -1;
  /** The last finished word, released when the next one begins. */
  #finished: string | undefined;

  constructor(options: { ignorePunctuation: boolean }) {
    this.#ignorePunctuation = options.ignorePunctuation;
  }

  push(text: string): string[] {
    const released: string[] = [];
    this.#text += text;
    this.#scan(false, released);
    const keepFrom = this.#wordStart < 0 ? this.#pos : this.#wordStart;
    this.#text = this.#text.slice(keepFrom);
    this.#pos -= keepFrom;
    if (this.#wordStart >= 0) this.#wordStart = 0;
    return released;
  }

  finish(): string[] {
    const released: string[] = [];
    this.#scan(true, released);
    if (this.#wordStart >= 0) released.push(this.#text.slice(this.#wordStart));
    else if (this.#finished !== undefined) released.push(this.#finished);
    this.#text = '';
    this.#pos = 0;
    this.#wordStart = -1;
    this.#finished = undefined;
    return released;
  }

  #scan(final: boolean, released: string[]): void {
    const text = this.#text;
    for (; this.#pos < text.length; this.#pos++) {
      const pos = this.#pos;
      const inWord = this.#isInWord(pos, final);
      if (inWord === undefined) return; // the next character decides
      if (!inWord) {
        if (this.#wordStart >= 0) this.#endWord(pos);
      } else if (this.#wordStart < 0) {
        this.#startWord(pos, released);
      } else if (pos - this.#wordStart >= MAX_WORD_LENGTH) {
        this.#endWord(pos);
        this.#startWord(pos, released);
      }
    }
  }

  /** Whether the character at `i` belongs to a word; undefined while that is unknown. */
  #isInWord(i: number, final: boolean): boolean | undefined {
    const ch = this.#text[i]!;
    if (isSpace(ch)) return false;
    if (!this.#ignorePunctuation || !isSilentPunctuation(ch)) return true;
    if (this.#wordStart < 0) return false;
    const after = this.#text[i + 1];
    if (after === undefined) return final ? false : undefined;
    return joinsWord(this.#text[i - 1]!, ch, after);
  }

  #startWord(start: number, released: string[]): void {
    if (this.#finished !== undefined) released.push(this.#finished);
    this.#finished = undefined;
    this.#wordStart = start;
  }

  #endWord(end: number): void {
    this.#finished = this.#text.slice(this.#wordStart, end);
    this.#wordStart = -1;
  }
}
