import { voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.assistant.close();
  h = undefined;
});

const FIRST = 'Paris is the capital of France.';
const SECOND = 'It is known for the Eiffel Tower.';

describe('VoiceAssistant interruptions', () => {
  it('pauses when the user talks over it, then interrupts on words and keeps only the heard text', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 2000, endMs: 3000 },
      ],
      stt: [
        { atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' },
        { atAudioMs: 3050, type: 'final_transcript', text: 'Stop please.' },
      ],
      llm: [{ content: `${FIRST} ${SECOND}` }, { content: 'OK.' }],
      tts: [
        { text: FIRST, audioMs: 1500 },
        { text: SECOND, audioMs: 1500 },
        { text: 'OK.', audioMs: 300 },
      ],
    });
    await h.start();
    const interrupted = (await h.runUntil('agent_speech_interrupted', 5000))
      .payload as voice.VoiceAssistantEvents['agent_speech_interrupted'];
    expect(h.output.calls.slice(0, 2)).toEqual(['pause', 'clearBuffer']);
    // The pause came ~0.5 s into the user's speech, ~1 s into the first sentence.
    expect(interrupted.heardText.length).toBeGreaterThan(0);
    expect(FIRST.startsWith(interrupted.heardText)).toBe(true);
    expect(interrupted.heardText).not.toBe(FIRST);
    await h.runUntil('agent_speech_committed', 5000, 2);
    expect(h.messages()).toEqual([
      { role: 'user', content: 'Tell me about Paris.' },
      { role: 'assistant', content: interrupted.heardText },
      { role: 'user', content: 'Stop please.' },
      { role: 'assistant', content: 'OK.' },
    ]);
    expect(h.payload('agent_speech_committed', 0).interrupted).toBe(true);
    expect(h.payload('agent_stopped_speaking', 0).outcome).toBe('interrupted');
    // The agent transcript shows what was heard, not what was generated.
    expect(h.agentText.segments[0]).toBe(interrupted.heardText);
    h.llm.assertDone();
  });

  it('resumes a reply paused by noise (no words), losing no audio', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 2000, endMs: 2700 },
      ],
      stt: [{ atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' }],
      llm: [{ content: FIRST }],
      tts: [{ text: FIRST, audioMs: 3000 }],
      assistant: { falseInterruptionTimeout: 0.5 },
    });
    await h.start();
    const paused = await h.runUntil('agent_speech_paused', 5000);
    // VAD start at 2.0 s, plus interruptSpeechDuration (0.5 s) of speech.
    expect(paused.at).toBeGreaterThanOrEqual(2500);
    expect(paused.at).toBeLessThan(2700);
    const resumed = await h.runUntil('agent_false_interruption', 5000);
    expect(resumed.payload).toMatchObject({ resumed: true });
    expect(h.payload('agent_false_interruption').speechId).toBe(
      h.payload('agent_speech_paused').speechId,
    );
    // VAD end at ~2.7 s, plus the timeout.
    expect(resumed.at).toBeGreaterThanOrEqual(3200);
    await h.runUntil('agent_speech_committed', 8000);
    expect(h.output.calls).toEqual(['pause', 'resume']);
    expect(h.payload('agent_speech_committed')).toMatchObject({ text: FIRST, interrupted: false });
    const segment = h.output.segments[0]!;
    expect(segment.finished?.interrupted).toBe(false);
    expect(segment.played).toBeCloseTo(3, 5);
  });

  it('ducks the agent while the user may be speaking, below the interruption threshold', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 2000, endMs: 2200 },
      ],
      stt: [{ atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' }],
      llm: [{ content: FIRST }],
      tts: [{ text: FIRST, audioMs: 3000 }],
      assistant: { baseVolume: 0.8 },
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 8000);
    expect(h.output.volumes).toEqual([0.8, 0.4, 0.8]);
    expect(h.output.calls).toEqual([]);
  });

  it('does not interrupt when interruptions are disallowed; the next turn waits its turn', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 2000, endMs: 2700 },
      ],
      stt: [
        { atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' },
        { atAudioMs: 2750, type: 'final_transcript', text: 'Wait.' },
      ],
      llm: [{ content: FIRST }, { content: 'Yes?' }],
      tts: [
        { text: FIRST, audioMs: 3000 },
        { text: 'Yes?', audioMs: 300 },
      ],
      assistant: { allowInterruptions: false },
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 10_000, 2);
    expect(h.output.calls).toEqual([]);
    expect(h.payload('agent_speech_committed', 0)).toMatchObject({
      text: FIRST,
      interrupted: false,
    });
    const secondStart = h.seen('agent_started_speaking')[1]!.at;
    const firstStop = h.seen('agent_stopped_speaking')[0]!.at;
    expect(secondStart).toBeGreaterThanOrEqual(firstStop);
    expect(h.messages().map((m) => m.content)).toEqual([
      'Tell me about Paris.',
      FIRST,
      'Wait.',
      'Yes?',
    ]);
  });
});
