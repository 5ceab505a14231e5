import { describe, expect, it } from 'vitest';
import { hyphenateWord } from '../src/tokenize/index.js';

describe('hyphenateWord', () => {
  it('matches the reference vectors', () => {
    const vectors: Record<string, string> = {
      Segment: 'Seg|ment',
      expected: 'ex|pect|ed',
      communication: 'com|mu|ni|ca|tion',
      window: 'win|dow',
      welcome: 'wel|come',
      bedroom: 'bed|room',
      hyphenation: 'hy|phen|ation',
      computer: 'com|put|er',
      Hello: 'Hel|lo',
      // Exceptions of the TeX patterns.
      project: 'project',
      table: 'ta|ble',
    };
    for (const [word, pieces] of Object.entries(vectors)) {
      expect(hyphenateWord(word).join('|'), word).toBe(pieces);
    }
  });

  it('keeps short words whole and keeps casing', () => {
    for (const word of ['a', 'I', 'cat', 'word']) expect(hyphenateWord(word)).toEqual([word]);
    expect(hyphenateWord('COMPUTER')).toEqual(['COM', 'PUT', 'ER']);
    expect(hyphenateWord('')).toEqual(['']);
  });
});
