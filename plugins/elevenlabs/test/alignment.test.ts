import { describe, expect, it } from 'vitest';
import { type Alignment, alignmentOffsetMs, WordAligner } from '../src/alignment.js';

/** Characters of `text`, each `msPerChar` long, starting at `startMs`. */
function timed(text: string, startMs = 0, msPerChar = 50): Alignment {
  const chars = [...text];
  return {
    chars,
    startsMs: chars.map((_, i) => startMs + i * msPerChar),
    durationsMs: chars.map(() => msPerChar),
  };
}

describe('WordAligner', () => {
  it('cuts words on whitespace, in seconds from first start to last end', () => {
    const aligner = new WordAligner();
    expect(aligner.push(timed(' Hi there '))).toEqual([
      { text: 'Hi', startTime: 0.05, endTime: 0.15 },
      { text: 'there', startTime: 0.2, endTime: 0.45 },
    ]);
    expect(aligner.finish()).toEqual([]);
  });

  it('holds a word cut between two messages until its end arrives', () => {
    const aligner = new WordAligner();
    expect(aligner.push(timed('Hello wor'))).toEqual([
      { text: 'Hello', startTime: 0, endTime: 0.25 },
    ]);
    // The second message's times relative to its own audio, shifted by what came before.
    expect(aligner.push(timed('ld again', 0), 450)).toEqual([
      { text: 'world', startTime: 0.3, endTime: 0.55 },
    ]);
    expect(aligner.finish()).toEqual([{ text: 'again', startTime: 0.6, endTime: 0.85 }]);
    expect(aligner.finish()).toEqual([]);
  });

  it('keeps punctuation with its word and skips runs of whitespace', () => {
    const aligner = new WordAligner();
    const words = [...aligner.push(timed('Yes,  really!\n')), ...aligner.finish()];
    expect(words.map((w) => w.text)).toEqual(['Yes,', 'really!']);
  });
});

describe('alignmentOffsetMs', () => {
  it('is 0 for the first message and for times that run on from the context start', () => {
    expect(alignmentOffsetMs(timed('abc', 0), 0)).toBe(0);
    expect(alignmentOffsetMs(timed('abc', 500), 500)).toBe(0);
    expect(alignmentOffsetMs(timed('abc', 495), 500)).toBe(0);
  });

  it("is the audio already received for times relative to the message's own audio", () => {
    expect(alignmentOffsetMs(timed('abc', 0), 500)).toBe(500);
    expect(alignmentOffsetMs(timed('abc', 30), 500)).toBe(500);
  });
});
