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
