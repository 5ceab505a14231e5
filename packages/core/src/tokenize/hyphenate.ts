import { createRequire } from 'node:module';

/** The part of the `hyphen` package used here (it ships no types). */
type HyphenateSync = (text: string, options?: { hyphenChar?: string }) => string;

const SOFT_HYPHEN = '\u00ad';

let hyphenateSync: HyphenateSync | undefined;

/**
 * `hyphen` is CommonJS and its US-English patterns take a few milliseconds to load, so
 * they are required on first use: importing this package stays cheap, and `require()`
 * of it works (no top-level await).
 */
function loadHyphenator(): HyphenateSync {
  const require = createRequire(import.meta.url);
  return (require('hyphen/en-us') as { hyphenateSync: HyphenateSync }).hyphenateSync;
}

/**
 * Splits a word at its hyphenation points: "communication" gives ["com", "mu", "ni",
 * "ca", "tion"]. Uses Liang's algorithm with the TeX US-English patterns of the `hyphen`
 * package. Words under five letters come back whole, and casing is kept ("Hel", "lo").
 * The transcription forwarder counts these pieces to pace words like speech.
 *
 * `hyphen` remembers every word it has hyphenated for the life of the process; the
 * vocabulary of speech is small enough for that to stay a modest amount of memory.
 */
export function hyphenateWord(word: string): string[] {
  hyphenateSync ??= loadHyphenator();
  return hyphenateSync(word, { hyphenChar: SOFT_HYPHEN }).split(SOFT_HYPHEN);
}
