import { SentenceSplitter } from './sentence-splitter.js';
import { splitAll, type Tokenizer, TokenStream, type TokenStreamOptions } from './token-stream.js';

/** Options of `SentenceTokenizer`. */
export interface SentenceTokenizerOptions {
  /**
   * Sentences shorter than this many characters are merged with the following ones
   * until the merged text is at least this long (TTS voices sound choppy on "Hi!").
   * 0 disables merging. Default 20.
   */
  minSentenceLength?: number;
  /**
   * A sentence that reaches this many characters without a boundary is cut at its last
   * space, which bounds the text a stream holds back. Default 1000.
   */
  maxSentenceLength?: number;
}

/**
 * A rule-based sentence tokenizer for English and for Chinese and Japanese punctuation.
 * It knows abbreviations, initials, numbers, URLs, e-mail addresses, ellipses, quotes
 * and brackets; the rules are described in sentence-boundary.ts.
 *
 *     const sentences = new SentenceTokenizer().tokenize(text);
 *
 *     const stream = new SentenceTokenizer().stream();
 *     for await (const event of stream) if (event.type === 'token') speak(event.token);
 *
 * Within a sentence, each run of whitespace (newlines included) becomes one space.
 */
export class SentenceTokenizer implements Tokenizer {
  readonly minSentenceLength: number;
  readonly maxSentenceLength: number;

  constructor(options: SentenceTokenizerOptions = {}) {
    const { minSentenceLength = 20, maxSentenceLength = 1000 } = options;
    if (!Number.isInteger(minSentenceLength) || minSentenceLength < 0) {
      throw new TypeError(`minSentenceLength must be an integer >= 0, got ${minSentenceLength}`);
    }
    if (!Number.isInteger(maxSentenceLength) || maxSentenceLength < 1) {
      throw new TypeError(`maxSentenceLength must be an integer >= 1, got ${maxSentenceLength}`);
    }
    this.minSentenceLength = minSentenceLength;
    this.maxSentenceLength = maxSentenceLength;
  }

  /** The sentences of `text`, short ones merged. */
  tokenize(text: string): string[] {
    return splitAll(this.#splitter(), text);
  }

  /** A stream that releases each sentence once the next has begun, the rest at `flush()`. */
  stream(options?: TokenStreamOptions): TokenStream {
    return new TokenStream(this.#splitter(), options);
  }

  #splitter(): SentenceSplitter {
    return new SentenceSplitter(this);
  }
}
