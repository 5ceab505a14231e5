import { splitAll, type Tokenizer, TokenStream, type TokenStreamOptions } from './token-stream.js';
import { WordSplitter } from './word-splitter.js';

/** Options of `WordTokenizer`. */
export interface WordTokenizerOptions {
  /**
   * Leave punctuation out of words: "Hello, world!" gives "Hello" and "world". Marks
   * inside a word stay ("it's", "e.g", "3.5", "well-known") and every other punctuation
   * mark separates words ("a—b" gives "a" and "b"). Characters read aloud (% & # @) stay.
   * When false, words are the runs of text between whitespace. Default true.
   */
  ignorePunctuation?: boolean;
}

/** Splits text into words, for pacing transcriptions and word-level streaming. */
export class WordTokenizer implements Tokenizer {
  readonly ignorePunctuation: boolean;

  constructor(options: WordTokenizerOptions = {}) {
    this.ignorePunctuation = options.ignorePunctuation ?? true;
  }

  /** The words of `text`. */
  tokenize(text: string): string[] {
    return splitAll(this.#splitter(), text);
  }

  /** A stream that releases each word once the next has begun, the last at `flush()`. */
  stream(options?: TokenStreamOptions): TokenStream {
    return new TokenStream(this.#splitter(), options);
  }

  #splitter(): WordSplitter {
    return new WordSplitter(this);
  }
}
