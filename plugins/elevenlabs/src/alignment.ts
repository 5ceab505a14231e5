import type { tts } from '@agents/core';

/** Character timings of one audio message, in ms. */
export interface Alignment {
  chars: string[];
  startsMs: number[];
  durationsMs: number[];
}

/**
 * Where the times of an alignment count from. The spec says each audio
 * message's times are relative to that message's audio; some clients assume
 * they run on from the start of the context. A message whose first character
 * starts before the audio already received (less a small tolerance for
 * rounding) cannot be context-absolute, so its times are shifted by that
 * audio; otherwise they are taken as they are. Both readings agree on the
 * first message, and the shift is what keeps word times consistent with the
 * audio duration either way.
 */
export function alignmentOffsetMs(alignment: Alignment, audioBeforeMs: number): number {
  const first = alignment.startsMs[0];
  if (first === undefined || audioBeforeMs <= 0) return 0;
  const toleranceMs = Math.min(20, audioBeforeMs / 2);
  return first >= audioBeforeMs - toleranceMs ? 0 : audioBeforeMs;
}

/**
 * Turns the character timings of a context's audio messages into words: cut
 * on whitespace, each from its first character's start to its last
 * character's end, in seconds. A word is held back until the whitespace after
 * it arrives (its last characters may be in the next message), or `finish()`.
 */
export class WordAligner {
  #text = '';
  #startMs = 0;
  #endMs = 0;

  /** Adds one message's characters (times shifted by `offsetMs`); returns the words it completes. */
  push(alignment: Alignment, offsetMs = 0): tts.TimedWord[] {
    const words: tts.TimedWord[] = [];
    const { chars, startsMs, durationsMs } = alignment;
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i]!;
      const start = offsetMs + startsMs[i]!;
      const end = start + durationsMs[i]!;
      // A "character" may be a multi-character grapheme; whitespace anywhere in it cuts.
      if (/\s/.test(char)) {
        const done = this.#take();
        if (done) words.push(done);
        const rest = char.trim();
        if (rest) this.#append(rest, start, end);
        continue;
      }
      this.#append(char, start, end);
    }
    return words;
  }

  /** The held word, at the end of the context. */
  finish(): tts.TimedWord[] {
    const word = this.#take();
    return word ? [word] : [];
  }

  #append(text: string, startMs: number, endMs: number): void {
    if (this.#text === '') this.#startMs = startMs;
    this.#text += text;
    this.#endMs = Math.max(this.#endMs, endMs);
  }

  #take(): tts.TimedWord | undefined {
    if (this.#text === '') return undefined;
    const word = { text: this.#text, startTime: this.#startMs / 1000, endTime: this.#endMs / 1000 };
    this.#text = '';
    this.#endMs = 0;
    return word;
  }
}
