import { tokenize, tts, utils, voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeSynthesisStep } from '../../src/index.js';
import { Harness, type HarnessOptions } from './harness.js';

/** The agent's transcript as a room or console would show it: the open segment and the finals. */
class ShownText implements voice.TextOutput {
  current = '';
  readonly finals: string[] = [];

  async captureText(text: string | voice.TimedText): Promise<void> {
    this.current += typeof text === 'string' ? text : text.text;
  }

  flush(): void {
    this.finals.push(this.current);
    this.current = '';
  }

  get shownWords(): number {
    return this.current.split(/\s+/).filter(Boolean).length;
  }
}

/** Where each word really is in the audio: its middle, seconds from the segment's start. */
type Truth = { text: string; middle: number }[];

/** Words of sentences whose real audio lengths are known, shared out by syllables. */
function syllableTruth(sentences: { text: string; seconds: number }[]): Truth {
  const truth: Truth = [];
  let start = 0;
  for (const sentence of sentences) {
    const words = sentence.text.split(' ');
    const syllables = words.map((w) => tokenize.hyphenateWord(w.replace(/[^\p{L}']/gu, '')).length);
    const total = syllables.reduce((a, b) => a + b, 0);
    let done = 0;
    words.forEach((text, i) => {
      const from = done / total;
      done += syllables[i]!;
      truth.push({ text, middle: start + ((from + done / total) / 2) * sentence.seconds });
    });
    start += sentence.seconds;
  }
  return truth;
}

/**
 * Drives the conversation 10 ms at a time until the agent's first segment is
 * final, comparing at each step the words shown with the words whose middle
 * has been played. Returns the largest difference, in words, and how many
 * of the 10 ms steps showed any.
 */
async function followSegment(
  h: Harness,
  shown: ShownText,
  truth: Truth,
  each?: () => void,
): Promise<{ maxLag: number; checks: number; lagging: number }> {
  let maxLag = 0;
  let checks = 0;
  let lagging = 0;
  for (let t = 0; t < 20_000 && shown.finals.length === 0; t += 10) {
    await h.run(10);
    each?.();
    const segment = h.output.segments[0];
    if (!segment || shown.finals.length > 0) continue;
    const played = segment.played;
    const heard = truth.filter((w) => w.middle <= played + 1e-9).length;
    maxLag = Math.max(maxLag, Math.abs(shown.shownWords - heard));
    if (shown.shownWords !== heard) lagging++;
    checks++;
  }
  expect(shown.finals.length, 'the agent segment never ended').toBeGreaterThan(0);
  return { maxLag, checks, lagging };
}

async function start(options: HarnessOptions): Promise<{ h: Harness; shown: ShownText }> {
  const harness = new Harness(voice.VoiceAssistant, options);
  h = harness;
  const shown = new ShownText();
  await harness.assistant.start({
    input: harness.input,
    output: harness.output,
    agentTranscript: shown,
    now: () => harness.clock.now,
    setTimer: harness.clock.setTimer,
  });
  return { h: harness, shown };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.assistant.close();
  h = undefined;
});

const SENTENCES = [
  // Spoken slower and faster than the default pace: the real lengths must win.
  { text: 'Hello there, my good friend.', seconds: 2.4 },
  { text: 'How are you doing on this fine day?', seconds: 1.6 },
  { text: 'I am doing well, thank you very much.', seconds: 2.2 },
];
const REPLY = SENTENCES.map((s) => s.text).join(' ');
const USER_TURN: Pick<HarnessOptions, 'vad' | 'stt'> = {
  vad: [{ startMs: 100, endMs: 1000 }],
  stt: [{ atAudioMs: 1050, type: 'final_transcript', text: 'Hi, how are you?' }],
};
const sentenceSteps = (): FakeSynthesisStep[] =>
  SENTENCES.map((s) => ({ text: s.text, audioMs: s.seconds * 1000 }));

describe('agent transcript in step with playout', () => {
  it('paces words by syllables inside each sentence’s real audio, within one word', async () => {
    const { h, shown } = await start({
      ...USER_TURN,
      llm: [{ content: REPLY }],
      tts: sentenceSteps(),
    });
    const { maxLag, checks, lagging } = await followSegment(h, shown, syllableTruth(SENTENCES));
    expect(checks).toBeGreaterThan(500);
    expect(maxLag).toBeLessThanOrEqual(1);
    // A word shows when its middle plays, not at the next 100 ms poll: one step late at most.
    expect(lagging / checks).toBeLessThan(0.05);
    // Sentences keep their punctuation and one space between them.
    expect(shown.finals).toEqual([REPLY]);
  });

  it('follows the TTS word timings when it gives them, with the text as written', async () => {
    const timed = new TimedTTS();
    const { h, shown } = await start({
      ...USER_TURN,
      llm: [{ content: REPLY }],
      tts: [],
      assistant: { tts: timed },
    });
    const { maxLag, checks, lagging } = await followSegment(h, shown, timed.truth);
    expect(checks).toBeGreaterThan(500);
    expect(maxLag).toBeLessThanOrEqual(1);
    expect(lagging / checks).toBeLessThan(0.05);
    // The TTS's words are bare ("hello", "there"): what is shown is the reply as written.
    expect(shown.finals).toEqual([REPLY]);
  });

  it('ends an interrupted segment, final, at the last word played', async () => {
    const { h, shown } = await start({
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 2800, endMs: 3600 },
      ],
      stt: [
        { atAudioMs: 1050, type: 'final_transcript', text: 'Hi, how are you?' },
        { atAudioMs: 3650, type: 'final_transcript', text: 'Wait, stop.' },
      ],
      llm: [{ content: REPLY }, { content: 'Sure.' }],
      tts: [...sentenceSteps(), { text: 'Sure.', audioMs: 400 }],
    });
    const truth = syllableTruth(SENTENCES);
    const { maxLag } = await followSegment(h, shown, truth);
    expect(maxLag).toBeLessThanOrEqual(1);
    const segment = h.output.segments[0]!;
    expect(segment.finished?.interrupted).toBe(true);
    const heard = truth.filter((w) => w.middle <= segment.played + 1e-9).map((w) => w.text);
    expect(heard.length).toBeGreaterThan(2);
    expect(heard.length).toBeLessThan(truth.length);
    expect(shown.finals[0]).toBe(heard.join(' '));
    expect(h.payload('agent_speech_interrupted').heardText).toBe(shown.finals[0]);
  });

  it('pauses with the audio and goes on when it resumes', async () => {
    const { h, shown } = await start({
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 2500, endMs: 3200 },
      ],
      stt: [{ atAudioMs: 1050, type: 'final_transcript', text: 'Hi, how are you?' }],
      llm: [{ content: REPLY }],
      tts: sentenceSteps(),
      assistant: { falseInterruptionTimeout: 0.5 },
    });
    const whilePaused = new Set<number>();
    let pausedSteps = 0;
    const { maxLag } = await followSegment(h, shown, syllableTruth(SENTENCES), () => {
      if (!h.output.paused) return;
      pausedSteps++;
      whilePaused.add(shown.shownWords);
    });
    expect(h.output.calls).toEqual(['pause', 'resume']);
    // Paused for a while, and nothing new was shown meanwhile (one tick may land as it pauses).
    expect(pausedSteps).toBeGreaterThan(30);
    expect(whilePaused.size).toBeLessThanOrEqual(2);
    expect(maxLag).toBeLessThanOrEqual(1);
    expect(shown.finals).toEqual([REPLY]);
  });
});

/**
 * A streaming TTS that times its words as ElevenLabs' alignment does (bare,
 * lower-case words here, each timed just before its audio), at an uneven
 * pace no syllable count would guess.
 */
class TimedTTS extends tts.TTS {
  readonly label = 'timed.TTS';
  readonly truth: Truth = [];

  constructor() {
    super({ sampleRate: 24_000, numChannels: 1, capabilities: { streaming: true } });
  }

  synthesize(): tts.ChunkedStream {
    throw new Error('TimedTTS only streams');
  }

  override stream(): tts.SynthesizeStream {
    return new TimedStream(this);
  }
}

class TimedStream extends tts.SynthesizeStream {
  readonly #owner: TimedTTS;

  constructor(owner: TimedTTS) {
    super(owner);
    this.#owner = owner;
  }

  protected async run(): Promise<void> {
    let text = '';
    for await (const item of this.text()) {
      if (item !== utils.FLUSH) text += item;
      else if (text) {
        await this.#speak(text);
        text = '';
      }
    }
    if (text) await this.#speak(text);
  }

  async #speak(text: string): Promise<void> {
    await this.startSegment();
    this.noteTextSent(text);
    let at = 0;
    for (const [i, word] of text.split(' ').entries()) {
      const bare = word.replace(/[^\p{L}']/gu, '').toLowerCase();
      // Long words slow, short ones quick, a pause after each sentence.
      const seconds = 0.08 + 0.07 * bare.length + (i % 3 === 0 ? 0.15 : 0);
      const gap = /[.?!]$/.test(word) ? 0.3 : 0;
      this.pushWordTimings([{ text: bare, startTime: at, endTime: at + seconds }]);
      this.#owner.truth.push({ text: word, middle: at + seconds / 2 });
      const samples = Math.round((seconds + gap) * 24_000);
      await this.pushAudio(new Int16Array(samples));
      at += seconds + gap;
    }
    await this.endSegment();
  }
}
