import { describe, expect, it } from 'vitest';
import { WordTokenizer } from '../src/tokenize/index.js';
import { chunkings, seededRandom, streamTokens } from './fixtures/tokenize/chunking.js';

const WORD_CASES: Array<{ text: string; words: string[]; withPunctuation: string[] }> = [
  {
    text: 'Hello, world!',
    words: ['Hello', 'world'],
    withPunctuation: ['Hello,', 'world!'],
  },
  { text: 'a—b', words: ['a', 'b'], withPunctuation: ['a—b'] },
  {
    text: "world—it's fine",
    words: ['world', "it's", 'fine'],
    withPunctuation: ["world—it's", 'fine'],
  },
  { text: 'e.g. this', words: ['e.g', 'this'], withPunctuation: ['e.g.', 'this'] },
  { text: 'Pi is 3.5.', words: ['Pi', 'is', '3.5'], withPunctuation: ['Pi', 'is', '3.5.'] },
  {
    text: '"Quoted" (bracketed) [x]',
    words: ['Quoted', 'bracketed', 'x'],
    withPunctuation: ['"Quoted"', '(bracketed)', '[x]'],
  },
  {
    text: 'a well-known co-op',
    words: ['a', 'well-known', 'co-op'],
    withPunctuation: ['a', 'well-known', 'co-op'],
  },
  {
    text: 'It costs 1,000 at 10:30, or 10%.',
    words: ['It', 'costs', '1,000', 'at', '10:30', 'or', '10%'],
    withPunctuation: ['It', 'costs', '1,000', 'at', '10:30,', 'or', '10%.'],
  },
  {
    text: 'Mail jane.doe@mail.co.uk or AT&T.',
    words: ['Mail', 'jane.doe@mail.co.uk', 'or', 'AT&T'],
    withPunctuation: ['Mail', 'jane.doe@mail.co.uk', 'or', 'AT&T.'],
  },
  {
    text: 'hello,world...and/or so--on',
    words: ['hello', 'world', 'and', 'or', 'so', 'on'],
    withPunctuation: ['hello,world...and/or', 'so--on'],
  },
  {
    text: "the students' books aren’t here",
    words: ['the', 'students', 'books', 'aren’t', 'here'],
    withPunctuation: ['the', "students'", 'books', 'aren’t', 'here'],
  },
  {
    text: '  spaced\n\tout  ',
    words: ['spaced', 'out'],
    withPunctuation: ['spaced', 'out'],
  },
  { text: '... — !!', words: [], withPunctuation: ['...', '—', '!!'] },
  { text: '你好，世界。', words: ['你好', '世界'], withPunctuation: ['你好，世界。'] },
  { text: '', words: [], withPunctuation: [] },
];

describe('WordTokenizer', () => {
  const ignoring = new WordTokenizer();
  const keeping = new WordTokenizer({ ignorePunctuation: false });

  it('ignores punctuation by default', () => {
    expect(ignoring.ignorePunctuation).toBe(true);
  });

  for (const { text, words, withPunctuation } of WORD_CASES) {
    it(`splits ${JSON.stringify(text)}`, async () => {
      expect(ignoring.tokenize(text)).toEqual(words);
      expect(keeping.tokenize(text)).toEqual(withPunctuation);
      for (const { name, pieces } of chunkings(text)) {
        expect(await streamTokens(ignoring, pieces), name).toEqual(words);
        expect(await streamTokens(keeping, pieces), name).toEqual(withPunctuation);
      }
    });
  }

  it('cuts a word longer than 1000 characters', () => {
    expect(ignoring.tokenize('x'.repeat(2500)).map((word) => word.length)).toEqual([
      1000, 1000, 500,
    ]);
  });

  it('streams the same words as tokenize() on random text', async () => {
    const parts = ["it's", 'e.g.', '3.5', '—', '-', ',', '.', ' ', '  ', '\n', 'a', 'word', '1,0'];
    for (const seed of [1, 2, 3, 4]) {
      const random = seededRandom(seed);
      const text = Array.from(
        { length: 300 },
        () => parts[Math.floor(random() * parts.length)],
      ).join('');
      for (const tokenizer of [ignoring, keeping]) {
        const expected = tokenizer.tokenize(text);
        for (const { name, pieces } of chunkings(text)) {
          expect(await streamTokens(tokenizer, pieces), `seed ${seed} ${name}`).toEqual(expected);
        }
      }
    }
  });
});
