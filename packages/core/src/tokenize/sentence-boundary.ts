import { BEFORE_NUMBER, CONTINUATIONS, SENTENCE_STARTERS, TITLES } from './abbreviations.js';
import {
  isCjk,
  isCjkTerminator,
  isCloser,
  isDigit,
  isLetter,
  isLowercase,
  isOpener,
  isSpace,
  isTerminator,
  isUppercase,
} from './characters.js';

/**
 * The rules that decide whether a candidate character ends a sentence.
 *
 * Latin script: a run of terminators (`.`, `!`, `?`, `…`), then any closing quotes or
 * brackets, then whitespace, then the next word. No whitespace means no boundary, which
 * keeps 3.14, v1.2.3, example.com, jane.doe@mail.co.uk and https://a.b/c.d?x=1 whole.
 * A next word starting in lower case means no boundary either ("e.g. apples",
 * `"Stop!" she said`, "Wait... what?"), unless it looks like a name ("iPhone", "f(x)"). Otherwise `!` and `?` end the sentence, and so
 * does an ellipsis: "Wait... What?" is two sentences, "Wait... what?" one. A single
 * period is then judged by the word before it (see `periodDecision`).
 *
 * Chinese and Japanese: 。！？ end the sentence right after any closing quotes, with or
 * without a space; `!` or `?` directly followed by CJK text does too.
 *
 * Anywhere: a blank line (two newlines) ends the sentence, punctuation or not.
 */

/** What the splitter does at a candidate character. */
export type Decision =
  /** The sentence ends just before `end`; the next one starts there. */
  | { kind: 'boundary'; end: number }
  /** Not a boundary: look for the next candidate from `from`. */
  | { kind: 'continue'; from: number }
  /** The rules need characters that have not arrived yet. */
  | { kind: 'wait' };

/** The text a decision may look at. */
export interface BoundaryContext {
  /** The text held by the splitter, from at least `sentenceStart` to what has arrived. */
  text: string;
  /** Where the sentence being scanned starts: rules look no further back. */
  sentenceStart: number;
  /** No more text will come: the end of `text` ends the segment. */
  final: boolean;
}

// Caps on how far the rules look ahead. A decision then depends on a bounded window of
// text, so the splitter holds back at most a few dozen characters waiting for one, and
// the same text gives the same decision however it was cut into pushes.
/** Terminators in one run ("?!", "..."), closing marks after it, opening marks before a word. */
const MAX_MARKS = 8;
/** Whitespace between sentences; a longer gap ends the sentence whatever follows. */
const MAX_GAP = 64;
/** Letters read of the next word to compare it with the sentence starters. */
const MAX_STARTER = 12;

const WAIT: Decision = { kind: 'wait' };
const boundary = (end: number): Decision => ({ kind: 'boundary', end });
const proceed = (from: number): Decision => ({ kind: 'continue', from });

/** A period after this ends a sentence only if a sentence starter follows: "J.", "U.S.". */
const INITIAL_OR_ACRONYM = /^(?:\p{Lu}\.)*\p{Lu}$/u;
/** A number that opens its sentence, read as a list marker: "1. Apples". */
const LIST_NUMBER = /^\d{1,3}$/;

/** Decides whether the candidate at `i` (a terminator or a newline) ends the sentence. */
export function decideBoundary(ctx: BoundaryContext, i: number): Decision {
  const { text } = ctx;
  if (text[i] === '\n') return paragraphDecision(ctx, i);

  const runEnd = skipWhile(ctx, i, isTerminator, MAX_MARKS);
  if (runEnd < 0) return WAIT;
  const end = skipWhile(ctx, runEnd, isCloser, MAX_MARKS);
  if (end < 0) return WAIT;
  if (someIn(text, i, runEnd, isCjkTerminator)) return boundary(end);
  if (end === text.length) return boundary(end); // the segment ends here

  const exclaims = someIn(text, i, runEnd, (ch) => ch === '!' || ch === '?');
  const after = text[end]!;
  if (exclaims && isCjk(after)) return boundary(end);
  if (!isSpace(after)) return proceed(runEnd);

  const gapEnd = skipWhile(ctx, end, isSpace, MAX_GAP);
  if (gapEnd < 0) return WAIT;
  if (gapEnd - end >= MAX_GAP || countNewlines(text, end, gapEnd) >= 2) return boundary(end);
  const wordStart = skipWhile(ctx, gapEnd, isOpener, MAX_MARKS);
  if (wordStart < 0) return WAIT;
  if (wordStart === text.length) return boundary(end); // only whitespace, and the text ends
  if (isLowercase(text[wordStart]!)) {
    const name = looksLikeName(ctx, wordStart);
    if (name === undefined) return WAIT;
    if (!name) return proceed(runEnd);
  }
  if (exclaims) return boundary(end);
  if (runEnd - i > 1 || text[i] === '…') {
    // An ellipsis that opens a sentence ("... And then") leads into it.
    return isBlank(text, ctx.sentenceStart, i) ? proceed(runEnd) : boundary(end);
  }
  return periodDecision(ctx, i, end, runEnd, wordStart);
}

/**
 * A single period followed by whitespace and a word that is not lower case. It ends the
 * sentence unless the word before it is a title ("Mr."), an abbreviation that always
 * continues ("e.g."), one that introduces a number ("No. 5"), a list number ("1."), or
 * an initial or dotted acronym ("J.", "U.S.") not followed by a sentence starter or a
 * title ("the U.S. Mr. Smith").
 */
function periodDecision(
  ctx: BoundaryContext,
  period: number,
  end: number,
  runEnd: number,
  nextWordStart: number,
): Decision {
  const { text } = ctx;
  const { word, start } = wordBefore(ctx, period);
  const lower = word.toLowerCase();
  if (TITLES.has(lower) || CONTINUATIONS.has(lower)) return proceed(runEnd);
  if (BEFORE_NUMBER.has(lower) && isDigit(text[nextWordStart]!)) return proceed(runEnd);
  if (LIST_NUMBER.test(word) && isBlank(text, ctx.sentenceStart, start)) return proceed(runEnd);
  if (INITIAL_OR_ACRONYM.test(word)) {
    const nextWordEnd = skipWhile(ctx, nextWordStart, isLetter, MAX_STARTER);
    if (nextWordEnd < 0) return WAIT;
    const nextWord = text.slice(nextWordStart, nextWordEnd);
    const starts = SENTENCE_STARTERS.has(nextWord) || TITLES.has(nextWord.toLowerCase());
    return starts ? boundary(end) : proceed(runEnd);
  }
  return boundary(end);
}

/**
 * Whether a word starting in lower case may still open a sentence because it is a name
 * or a function ("iPhone", "eBay", "f(x)"); undefined until the word has arrived.
 */
function looksLikeName(ctx: BoundaryContext, wordStart: number): boolean | undefined {
  const wordEnd = skipWhile(ctx, wordStart, isLetter, MAX_STARTER);
  if (wordEnd < 0) return undefined;
  const word = ctx.text.slice(wordStart, wordEnd);
  return ctx.text[wordEnd] === '(' || [...word].some(isUppercase);
}

/** A newline ends the sentence if only whitespace separates it from another newline. */
function paragraphDecision(ctx: BoundaryContext, newline: number): Decision {
  const isInlineSpace = (ch: string) => ch !== '\n' && isSpace(ch);
  const next = skipWhile(ctx, newline + 1, isInlineSpace, MAX_GAP);
  if (next < 0) return WAIT;
  // Ending after the second newline, not at the first, guarantees the scan moves on.
  return ctx.text[next] === '\n' ? boundary(next + 1) : proceed(newline + 1);
}

/**
 * The index of the first character at or after `from` failing `test`, reading at most
 * `max` characters. -1 when that index is the end of the text and more may come: every
 * caller then looks at the character there, so it waits for it.
 */
function skipWhile(
  ctx: BoundaryContext,
  from: number,
  test: (ch: string) => boolean,
  max: number,
): number {
  const { text } = ctx;
  const limit = Math.min(from + max, text.length);
  let i = from;
  while (i < limit && test(text[i]!)) i++;
  if (i === text.length && !ctx.final) return -1;
  return i;
}

/** The word ending at `end` (back to whitespace or the sentence start), without opening marks. */
function wordBefore(ctx: BoundaryContext, end: number): { word: string; start: number } {
  const { text, sentenceStart } = ctx;
  let start = end;
  while (start > sentenceStart && !isSpace(text[start - 1]!)) start--;
  const rawStart = start;
  while (start < end && isOpener(text[start]!)) start++;
  return { word: text.slice(start, end), start: rawStart };
}

function someIn(text: string, from: number, to: number, test: (ch: string) => boolean): boolean {
  for (let i = from; i < to; i++) if (test(text[i]!)) return true;
  return false;
}

function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(text[i]!)) return false;
  return true;
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (text[i] === '\n') count++;
  return count;
}
