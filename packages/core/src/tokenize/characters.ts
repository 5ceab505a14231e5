// Character classes shared by the sentence and word splitters. They test one UTF-16 code
// unit at a time: every character that matters here (terminators, quotes, brackets,
// spaces, CJK text) lives in the Basic Multilingual Plane.

/** Ends a Latin-script sentence, but only when followed by a space (see sentence-boundary.ts). */
const LATIN_TERMINATORS = new Set(['.', '!', '?', '…']);

/** Ends a Chinese or Japanese sentence outright: these scripts put no space after it. */
const CJK_TERMINATORS = new Set(['。', '！', '？', '｡']);

/** Every character that may end a sentence, plus the newline (a blank line ends one too). */
const BOUNDARY_CANDIDATE = /[.!?…。！？｡\n]/g;

/** Closing quotes and brackets: after a terminator they still belong to the sentence. */
const CLOSERS = new Set([...'"\'”’»›)]}」』）】》〉*_`']);

/** Opening quotes and brackets: before a word they belong to the sentence that follows. */
const OPENERS = new Set([...'"\'“‘«‹([{「『（【《〈¿¡*_`']);

const SPACE = /\s/;
const LETTER = /\p{L}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const DIGIT = /\p{Nd}/u;
const LOWERCASE = /\p{Ll}/u;
const UPPERCASE = /\p{Lu}/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

export const isCjkTerminator = (ch: string): boolean => CJK_TERMINATORS.has(ch);
export const isTerminator = (ch: string): boolean =>
  LATIN_TERMINATORS.has(ch) || CJK_TERMINATORS.has(ch);
export const isCloser = (ch: string): boolean => CLOSERS.has(ch);
export const isOpener = (ch: string): boolean => OPENERS.has(ch);
/** Whitespace, including Unicode spaces such as U+3000; ASCII is answered without a regex. */
export function isSpace(ch: string): boolean {
  const code = ch.charCodeAt(0);
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return SPACE.test(ch);
}
export const isLetter = (ch: string): boolean => LETTER.test(ch);
export const isLetterOrDigit = (ch: string): boolean => LETTER_OR_DIGIT.test(ch);
export const isDigit = (ch: string): boolean => DIGIT.test(ch);
export const isLowercase = (ch: string): boolean => LOWERCASE.test(ch);
export const isUppercase = (ch: string): boolean => UPPERCASE.test(ch);
export const isCjk = (ch: string): boolean => CJK.test(ch);

// Punctuation a speaker reads aloud ("10 %", "AT&T", "#1", an e-mail address) is part of
// a word even when punctuation is ignored; the backtick (a symbol by Unicode) is not.
const PUNCTUATION = /[\p{P}`]/u;
const READ_ALOUD = new Set(['#', '%', '‰', '&', '@', '§']);

/** Punctuation that `WordTokenizer({ ignorePunctuation: true })` leaves out of words. */
export const isSilentPunctuation = (ch: string): boolean =>
  PUNCTUATION.test(ch) && !READ_ALOUD.has(ch);

/**
 * Index of the first character at or after `from` that may end a sentence, or -1.
 * A regular expression finds it much faster than a loop over characters; `lastIndex`
 * is set and read within this call, so sharing the one instance is safe.
 */
export function nextBoundaryCandidate(text: string, from: number): number {
  BOUNDARY_CANDIDATE.lastIndex = from;
  return BOUNDARY_CANDIDATE.exec(text)?.index ?? -1;
}

/** Whitespace that `collapseSpaces` changes: a run of two, or one other than a space. */
const UNCOLLAPSED = /\s\s|[^\S ]/;

/**
 * Turns each run of whitespace (newlines included) into one space, without trimming.
 * Most sentences have nothing to collapse, and testing for that first is several times
 * faster than an unconditional replace.
 */
export function collapseSpaces(text: string): string {
  return UNCOLLAPSED.test(text) ? text.replace(/\s+/g, ' ') : text;
}
