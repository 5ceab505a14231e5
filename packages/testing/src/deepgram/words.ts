import { createHash } from 'node:crypto';
import type { DeepgramWord } from './types.js';

/**
 * How many words a stretch of speech gets: conversational English runs at
 * 2–3 words a second, so a region's transcript is about as long as a real one.
 */
export const WORDS_PER_SECOND = 2.5;

/**
 * The words of a region with no scripted transcript, in order from the region's
 * start. Distinct, easy to read in a failing assertion, and the same for the same audio.
 */
// biome-ignore format: one alphabet, kept on three lines
export const DETERMINISTIC_WORDS = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett',
  'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango',
  'uniform', 'victor', 'whiskey', 'xray', 'yankee', 'zulu',
] as const;

interface Token {
  word: string;
  punctuated: string;
  confidence: number;
}

/**
 * The words one speech region yields, handed out piece by piece: a region is cut
 * into pieces when a final is forced mid-speech (a long segment, `Finalize`).
 */
export class RegionWords {
  readonly #script: Token[] | undefined;
  #used = 0;

  /** `script`: the transcript a test gave for this region; without one, the deterministic words. */
  constructor(script?: string) {
    this.#script = script === undefined ? undefined : tokenize(script);
  }

  /**
   * The words of the region's next piece `[start, end]` (seconds), spread evenly over it.
   * `regionEnded`: the region is over, so a script gives all its remaining words.
   * `take`: consume them (a final); otherwise only look (an interim).
   */
  piece(start: number, end: number, regionEnded: boolean, take: boolean): DeepgramWord[] {
    const duration = end - start;
    if (duration <= 0) return [];
    // The first piece of a confirmed region always has a word; a sliver cut off later may have none.
    const minimum = this.#used === 0 ? 1 : 0;
    let count = Math.max(minimum, Math.round(duration * WORDS_PER_SECOND));
    if (this.#script) {
      const left = this.#script.length - this.#used;
      count = regionEnded ? left : Math.min(left, count);
    }
    const tokens = Array.from({ length: count }, (_, i) => this.#token(this.#used + i));
    if (take) this.#used += count;
    const slot = duration / Math.max(count, 1);
    return tokens.map((token, i) => ({
      word: token.word,
      start: round(start + i * slot),
      end: round(i === count - 1 ? end : start + (i + 1) * slot),
      confidence: token.confidence,
      punctuated_word: token.punctuated,
    }));
  }

  /** True when the next piece would be the region's first (nothing taken yet). */
  get untouched(): boolean {
    return this.#used === 0;
  }

  #token(index: number): Token {
    if (this.#script) return this.#script[index] as Token;
    const word = DETERMINISTIC_WORDS[index % DETERMINISTIC_WORDS.length] as string;
    return {
      word,
      punctuated: index === 0 ? word[0]?.toUpperCase() + word.slice(1) : word,
      // Varies by word so that a client averaging confidences is exercised, and stays the same per run.
      confidence: round(0.9 + ((index * 7) % 10) / 100),
    };
  }
}

/** Puts a full stop on the last word of a region that ended with no punctuation of its own. */
export function endSentence(words: DeepgramWord[]): void {
  const last = words.at(-1);
  if (last?.punctuated_word && !/[.!?,;:]$/.test(last.punctuated_word)) {
    last.punctuated_word += '.';
  }
}

/** Splits a scripted transcript into words: `word` bare and lower case, `punctuated_word` as written. */
function tokenize(text: string): Token[] {
  return text
    .split(/\s+/)
    .filter((token) => token.length > 0)
    .map((token) => ({
      word: token.toLowerCase().replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}']+$/gu, '') || token,
      punctuated: token,
      confidence: 0.98,
    }));
}

/** What a result's transcript says, given its words. */
export function transcriptOf(words: readonly DeepgramWord[], punctuate: boolean): string {
  return words.map((w) => (punctuate ? (w.punctuated_word ?? w.word) : w.word)).join(' ');
}

/** The mean word confidence, as the service reports for an alternative (0 with no words). */
export function confidenceOf(words: readonly DeepgramWord[]): number {
  if (words.length === 0) return 0;
  return round(words.reduce((sum, w) => sum + w.confidence, 0) / words.length);
}

/** Words as the service sends them: `punctuated_word` only with punctuate or smart_format. */
export function wireWords(words: readonly DeepgramWord[], punctuate: boolean): DeepgramWord[] {
  return words.map(({ punctuated_word, ...rest }) =>
    punctuate ? { ...rest, punctuated_word: punctuated_word ?? rest.word } : rest,
  );
}

export interface ModelInfo {
  name: string;
  version: string;
  arch: string;
  uuid: string;
}

/**
 * `model_info` for a `model` parameter, in the format of captured sessions
 * (`nova-2-phonecall` → name `phonecall-nova-2`, arch `nova-2`). The uuid is
 * derived from the name, so it stays the same between runs.
 */
export function modelInfo(model: string | null): ModelInfo {
  const requested = model ?? 'nova-3';
  const match = /^(nova-\d+|nova|enhanced|base|whisper)(?:-(.+))?$/.exec(requested);
  const arch = match?.[1] ?? requested;
  const name = `${match?.[2] ?? 'general'}-${arch}`;
  return { name, version: '2025-01-01.0', arch, uuid: uuidFrom(`model:${name}`) };
}

/** A version-4-shaped uuid derived from `seed`. */
export function uuidFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
