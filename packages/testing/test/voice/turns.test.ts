import { voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.assistant.close();
  h = undefined;
});

describe('VoiceAssistant turns', () => {
  it('answers a plain turn once the final is in and minEndpointingDelay has passed', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 100, endMs: 1000 }],
      stt: [
        { atAudioMs: 100, type: 'start_of_speech' },
        { atAudioMs: 1050, type: 'final_transcript', text: 'What is the weather?' },
      ],
      llm: [{ content: 'It is sunny.' }],
      tts: [{ text: 'It is sunny.', audioMs: 600 }],
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 5000);
    const committed = h.seen('user_speech_committed')[0]!;
    // VAD end ~1.02 s, voiced audio ended at 1.0 s: commit at 1.5 s, not before.
    expect(committed.at).toBeGreaterThanOrEqual(1500);
    expect(committed.at).toBeLessThan(1600);
    expect(h.messages()).toEqual([
      { role: 'user', content: 'What is the weather?' },
      { role: 'assistant', content: 'It is sunny.' },
    ]);
    const started = h.payload('agent_started_speaking');
    expect(started.at).toBeGreaterThanOrEqual(committed.at);
    expect(h.names().split(', ')).toEqual([
      'user_started_speaking',
      'user_stopped_speaking',
      'user_speech_committed',
      'agent_started_speaking',
      'agent_speech_committed',
      'agent_stopped_speaking',
      'metrics_collected',
    ]);
    const metrics = h.payload('metrics_collected');
    expect(metrics.endToEndMs).toBe(metrics.firstAudioPlayedAt! - metrics.userSpeechEndedAt!);
    expect(metrics.endOfTurnAt).toBe(committed.at);
    expect(h.agentText.segments).toEqual(['It is sunny.']);
    expect(h.userText.segments).toEqual(['What is the weather?']);
    // Preemptive: the LLM was asked once, before the commit.
    expect(h.llm.requests).toHaveLength(1);
    h.llm.assertDone();
    h.tts.assertDone();
  });
});

describe('VoiceAssistant endpointing', () => {
  it('gives one answer for a pause inside one utterance', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 1300, endMs: 2000 },
      ],
      stt: [
        { atAudioMs: 1020, type: 'final_transcript', text: 'I want to' },
        { atAudioMs: 2050, type: 'final_transcript', text: 'book a table.' },
      ],
      llm: [{ content: 'For how many?' }],
      tts: [{ text: 'For how many?', audioMs: 400 }],
      assistant: { preemptiveSynthesis: false },
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 5000);
    expect(h.seen('user_speech_committed')).toHaveLength(1);
    expect(h.payload('user_speech_committed').text).toBe('I want to book a table.');
  });

  it('commits a late final at once', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 100, endMs: 1000 }],
      stt: [{ atAudioMs: 2000, type: 'final_transcript', text: 'Hello.' }],
      llm: [{ content: 'Hi.' }],
      tts: [{ text: 'Hi.', audioMs: 200 }],
    });
    await h.start();
    const committed = await h.runUntil('user_speech_committed', 5000);
    expect(committed.at).toBeGreaterThanOrEqual(2000);
    expect(committed.at).toBeLessThan(2050);
    await h.runUntil('agent_speech_committed', 5000);
  });

  it('commits the interim text when no final comes by maxEndpointingDelay', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 100, endMs: 1000 }],
      stt: [{ atAudioMs: 900, type: 'interim_transcript', text: 'Hello there' }],
      llm: [{ content: 'Hi.' }],
      tts: [{ text: 'Hi.', audioMs: 200 }],
      assistant: { maxEndpointingDelay: 2 },
    });
    await h.start();
    const committed = await h.runUntil('user_speech_committed', 5000);
    expect(committed.at).toBeGreaterThanOrEqual(3000);
    expect(committed.at).toBeLessThan(3100);
    expect(h.payload('user_speech_committed').text).toBe('Hello there');
    await h.runUntil('agent_speech_committed', 5000);
  });

  it('goes back to listening when noise brings no words, and answers the next turn', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [
        { startMs: 100, endMs: 500 },
        { startMs: 4000, endMs: 4500 },
      ],
      stt: [{ atAudioMs: 4550, type: 'final_transcript', text: 'Hello.' }],
      llm: [{ content: 'Hi.' }],
      tts: [{ text: 'Hi.', audioMs: 200 }],
      assistant: { maxEndpointingDelay: 2 },
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 8000);
    expect(h.seen('user_speech_committed')).toHaveLength(1);
    expect(h.messages()).toEqual([
      { role: 'user', content: 'Hello.' },
      { role: 'assistant', content: 'Hi.' },
    ]);
  });

  it('fails at construction naming the invalid option', () => {
    const make = (extra: Partial<voice.VoiceAssistantOptions>) =>
      new Harness(voice.VoiceAssistant, { vad: [], stt: [], llm: [], tts: [], assistant: extra });
    expect(() => make({ minEndpointingDelay: 2, maxEndpointingDelay: 1 })).toThrow(
      /maxEndpointingDelay/,
    );
    expect(() => make({ baseVolume: 2 })).toThrow(/baseVolume/);
    expect(() => make({ interruptMinWords: 1.5 })).toThrow(/interruptMinWords/);
    expect(() => make({ maxToolSteps: 0 })).toThrow(/maxToolSteps/);
  });
});
