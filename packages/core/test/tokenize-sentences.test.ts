import { describe, expect, it } from 'vitest';
import { SentenceTokenizer } from '../src/tokenize/index.js';
import { SentenceSplitter } from '../src/tokenize/sentence-splitter.js';
import {
  chunkings,
  randomPieces,
  seededRandom,
  streamTokens,
} from './fixtures/tokenize/chunking.js';
import { SENTENCE_CORPUS } from './fixtures/tokenize/sentence-corpus.js';

const tokenizerFor = (options: { minSentenceLength?: number; maxSentenceLength?: number }) =>
  new SentenceTokenizer({ minSentenceLength: 0, ...options });

describe('SentenceTokenizer corpus', () => {
  it('has enough cases', () => {
    expect(SENTENCE_CORPUS.length).toBeGreaterThanOrEqual(40);
  });

  for (const testCase of SENTENCE_CORPUS) {
    describe(testCase.name, () => {
      const tokenizer = tokenizerFor(testCase);

      it('tokenize()', () => {
        expect(tokenizer.tokenize(testCase.text)).toEqual(testCase.expected);
      });

      it('stream, however the text is cut', async () => {
        for (const { name, pieces } of chunkings(testCase.text)) {
          expect(await streamTokens(tokenizer, pieces), name).toEqual(testCase.expected);
        }
      });
    });
  }
});

describe('SentenceTokenizer', () => {
  it('merges short sentences by default (minSentenceLength 20)', () => {
    const tokenizer = new SentenceTokenizer();
    expect(tokenizer.minSentenceLength).toBe(20);
    expect(tokenizer.tokenize('Hi there. How are you? I am fine, thanks.')).toEqual([
      'Hi there. How are you?',
      'I am fine, thanks.',
    ]);
  });

  it('cuts a sentence with no spaces at maxSentenceLength', () => {
    const tokenizer = tokenizerFor({ maxSentenceLength: 10 });
    expect(tokenizer.tokenize('x'.repeat(25))).toEqual(['x'.repeat(10), 'x'.repeat(10), 'xxxxx']);
  });

  it('rejects invalid lengths', () => {
    expect(() => new SentenceTokenizer({ minSentenceLength: -1 })).toThrow(TypeError);
    expect(() => new SentenceTokenizer({ minSentenceLength: 1.5 })).toThrow(TypeError);
    expect(() => new SentenceTokenizer({ maxSentenceLength: 0 })).toThrow(TypeError);
  });

  it('holds back a bounded amount of text however long the input', () => {
    // No boundary anywhere: pieces still come out as the text streams in, so the text
    // held back stays under maxSentenceLength (plus the piece just pushed).
    const splitter = new SentenceSplitter({ minSentenceLength: 0, maxSentenceLength: 100 });
    const words = Array.from({ length: 2000 }, (_, i) => `word${i}`).join(' ');
    const released: string[] = [];
    let pushed = 0;
    let mostHeld = 0;
    for (const piece of randomPieces(words, 7)) {
      released.push(...splitter.push(piece));
      pushed += piece.length;
      const releasedChars = released.reduce((sum, sentence) => sum + sentence.length + 1, 0);
      mostHeld = Math.max(mostHeld, pushed - releasedChars);
    }
    released.push(...splitter.finish());
    expect(mostHeld).toBeLessThanOrEqual(100 + 12);
    expect(released.every((sentence) => sentence.length <= 100)).toBe(true);
    expect(released.join(' ')).toBe(words);
  });
});

describe('SentenceTokenizer streaming equals tokenize() on random text', () => {
  // Text built from the pieces the rules care about, shuffled: any difference between
  // the stream and tokenize() would show a decision that depends on where text was cut.
  const parts = [
    'Mr.',
    'Dr.',
    'e.g.',
    'U.S.',
    'J.',
    'etc.',
    'No.',
    '3.14',
    'v1.2',
    'the',
    'The',
    'It',
    'iPhone',
    'f(x)',
    'hello',
    'World',
    '...',
    '…',
    '!',
    '?',
    '?!',
    '.',
    '"',
    '(',
    ')',
    '“',
    '”',
    '。',
    '！',
    '你好',
    'こんにちは',
    '\n',
    '\n\n',
    ' ',
    '  ',
    'a.b',
    'x@y.io',
    '1.',
  ];
  for (const seed of [11, 12, 13, 14, 15, 16, 17, 18]) {
    it(`seed ${seed}`, async () => {
      const random = seededRandom(seed);
      const pick = () => parts[Math.floor(random() * parts.length)];
      const text = Array.from({ length: 400 }, () => pick() + (random() < 0.6 ? ' ' : '')).join('');
      for (const minSentenceLength of [0, 20]) {
        const tokenizer = tokenizerFor({ minSentenceLength, maxSentenceLength: 80 });
        const expected = tokenizer.tokenize(text);
        for (const { name, pieces } of chunkings(text)) {
          expect(await streamTokens(tokenizer, pieces), name).toEqual(expected);
        }
      }
    });
  }
});
