import { voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, settle } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.assistant.close();
  h = undefined;
});

const ANSWER = 'Paris is the capital of France.';
const turn = {
  vad: [{ startMs: 100, endMs: 1000 }],
  stt: [{ atAudioMs: 1050, type: 'final_transcript' as const, text: 'Tell me about Paris.' }],
};

describe('VoiceAssistant say()', () => {
  it('queues a say() behind the playing answer', async () => {
    h = new Harness(voice.VoiceAssistant, {
      ...turn,
      llm: [{ content: ANSWER }],
      tts: [
        { text: ANSWER, audioMs: 1500 },
        { text: 'Anything else?', audioMs: 500 },
      ],
    });
    await h.start();
    await h.runUntil('agent_started_speaking', 5000);
    const handle = h.assistant.say('Anything else?');
    await h.runUntil('agent_speech_committed', 5000, 2);
    expect(await handle.waitForPlayout()).toBe('done');
    expect(h.output.calls).toEqual([]);
    expect(h.messages().map((m) => m.content)).toEqual([
      'Tell me about Paris.',
      ANSWER,
      'Anything else?',
    ]);
    expect(h.seen('agent_started_speaking')[1]!.at).toBeGreaterThanOrEqual(
      h.seen('agent_stopped_speaking')[0]!.at,
    );
  });

  it('a say() with interrupt cuts the playing answer, which keeps only its heard part', async () => {
    h = new Harness(voice.VoiceAssistant, {
      ...turn,
      llm: [{ content: ANSWER }],
      tts: [
        { text: ANSWER, audioMs: 1500 },
        { text: 'One moment.', audioMs: 500 },
      ],
    });
    await h.start();
    await h.runUntil('agent_started_speaking', 5000);
    await h.run(700);
    const handle = h.assistant.say('One moment.', { interrupt: true, addToChatCtx: false });
    await h.runUntil('agent_stopped_speaking', 5000, 2);
    expect(await handle.waitForPlayout()).toBe('done');
    expect(h.output.calls).toEqual(['clearBuffer']);
    const heard = h.payload('agent_speech_interrupted').heardText;
    expect(heard.length).toBeGreaterThan(0);
    expect(ANSWER.startsWith(heard) && heard !== ANSWER).toBe(true);
    expect(h.messages().map((m) => m.content)).toEqual(['Tell me about Paris.', heard]);
  });
});

describe('VoiceAssistant errors', () => {
  it.each([
    ['llm', { content: 'It is', error: new Error('LLM down') }, []],
    ['tts', { content: ANSWER }, [{ text: ANSWER, error: new Error('TTS down') }]],
  ] as const)(
    'an error from the %s mid-turn is reported, not committed, and the conversation goes on',
    async (source, step, tts) => {
      h = new Harness(voice.VoiceAssistant, {
        vad: [
          { startMs: 100, endMs: 1000 },
          { startMs: 3000, endMs: 3500 },
        ],
        stt: [
          { atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' },
          { atAudioMs: 3550, type: 'final_transcript', text: 'Hello?' },
        ],
        llm: [step, { content: 'Sorry, I am here.' }],
        tts: [...tts, { text: 'Sorry, I am here.', audioMs: 400 }],
      });
      await h.start();
      await h.runUntil('agent_speech_committed', 8000);
      expect(h.payload('error')).toMatchObject({ source, recoverable: true });
      expect(h.messages()).toEqual([
        { role: 'user', content: 'Tell me about Paris.' },
        { role: 'user', content: 'Hello?' },
        { role: 'assistant', content: 'Sorry, I am here.' },
      ]);
    },
  );
});

describe('VoiceAssistant close()', () => {
  // Stages of the interruption scenario: idle, user speaking, endpointing, preemptive reply,
  // speaking, paused by the user, after the interruption.
  it.each([0, 500, 1200, 1520, 1800, 2600, 3200])(
    'stops everything when closed at %i ms',
    async (at) => {
      h = new Harness(voice.VoiceAssistant, {
        vad: [
          { startMs: 100, endMs: 1000 },
          { startMs: 2000, endMs: 3000 },
        ],
        stt: [
          { atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' },
          { atAudioMs: 3050, type: 'final_transcript', text: 'Stop please.' },
        ],
        llm: [{ content: ANSWER }, { content: 'OK.', ttftMs: 60_000 }],
        tts: [{ text: ANSWER, audioMs: 3000 }],
      });
      await h.start();
      await h.run(at);
      await h.assistant.close();
      await settle();
      expect(h.clock.pendingTimers).toBe(0);
      // Closed streams: more audio reaches nothing and nothing more happens.
      const seen = h.events.length;
      await h.run(200);
      expect(h.events.length).toBe(seen);
      expect(() => h!.assistant.say('late')).toThrow(/closed/);
    },
  );
});
