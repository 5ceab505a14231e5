// Tokenization: sentences for TTS, words for transcription pacing, hyphenation.
export { hyphenateWord } from './hyphenate.js';
export { SentenceTokenizer, type SentenceTokenizerOptions } from './sentence-tokenizer.js';
export {
  type TextSplitter,
  type TokenEvent,
  type Tokenizer,
  TokenStream,
  TokenStreamClosedError,
  TokenStreamFullError,
  type TokenStreamOptions,
} from './token-stream.js';
export { WordTokenizer, type WordTokenizerOptions } from './word-tokenizer.js';
