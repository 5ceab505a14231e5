import { APIConnectionError, APIError, APIStatusError, voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from './harness.js';

// The VAD and STT streams run for the whole conversation: when one fails the assistant
// reports it and opens a new one (audio time starts again at 0 in the new stream's script),
// up to 5 failures in a row.

let h: Harness | undefined;
afterEach(async () => {
  await h?.assistant.close();
  h = undefined;
});

const lost = (what: string) => new APIConnectionError(`${what}: connection lost`);

function errors(harness: Harness): { source: string; recoverable: boolean }[] {
  return harness
    .seen('error')
    .map(({ payload }) => payload as voice.VoiceAssistantEvents['error'])
    .map(({ source, recoverable }) => ({ source, recoverable }));
}

describe('VoiceAssistant: the STT stream fails mid-turn', () => {
  it('reports it, restarts the stream, and answers the next turn', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 3000, endMs: 3500 },
      ],
      stt: [
        { atAudioMs: 100, type: 'start_of_speech' },
        { atAudioMs: 600, error: lost('stt') },
      ],
      // Opened at about 600 ms of the conversation: 3000 here is about 3600 there.
      sttRestarts: [[{ atAudioMs: 3000, type: 'final_transcript', text: 'Hello?' }]],
      llm: [{ content: 'Sorry, I am here.' }],
      tts: [{ text: 'Sorry, I am here.', audioMs: 400 }],
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 8000);
    expect(errors(h)).toEqual([{ source: 'stt', recoverable: true }]);
    expect(h.payload('error').error).toBeInstanceOf(APIConnectionError);
    // The words lost with the stream give no turn; the next one is answered.
    expect(h.messages()).toEqual([
      { role: 'user', content: 'Hello?' },
      { role: 'assistant', content: 'Sorry, I am here.' },
    ]);
    h.stt.assertDone();
    h.llm.assertDone();
  });

  it('gives up after 5 failures in a row: error not recoverable, say() still speaks', async () => {
    const failing = () => [{ atAudioMs: 50, error: lost('stt') }];
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 1000, endMs: 1500 }],
      stt: failing(),
      sttRestarts: [failing(), failing(), failing(), failing()],
      llm: [],
      tts: [{ text: 'I cannot hear you right now.', audioMs: 400 }],
    });
    await h.start();
    await h.runUntil('error', 2000, 5);
    expect(errors(h)).toEqual([
      ...Array(4).fill({ source: 'stt', recoverable: true }),
      { source: 'stt', recoverable: false },
    ]);
    // No sixth stream (the script has five): the user's speech reaches the VAD only.
    await h.runUntil('user_stopped_speaking', 3000);
    await h.run(3500);
    expect(h.seen('user_speech_committed')).toEqual([]);
    expect(errors(h)).toHaveLength(5);
    h.assistant.say('I cannot hear you right now.');
    await h.runUntil('agent_speech_committed', 3000);
    h.stt.assertDone();
  });

  it('stops at once on a refusal no retry can mend (a wrong key), and opens no new stream', async () => {
    const refused = new APIStatusError(
      'deepgram.STT: credentials refused: check DEEPGRAM_API_KEY',
      {
        status: 401,
      },
    );
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 1000, endMs: 1500 }],
      stt: [{ atAudioMs: 50, error: refused }],
      // A restart would open this one and answer the turn: it must stay unused.
      sttRestarts: [[{ atAudioMs: 1400, type: 'final_transcript', text: 'Hello?' }]],
      llm: [],
      tts: [],
    });
    await h.start();
    await h.runUntil('error', 2000);
    expect(errors(h)).toEqual([{ source: 'stt', recoverable: false }]);
    expect(h.payload('error').error).toBe(refused);
    await h.runUntil('user_stopped_speaking', 3000);
    await h.run(3500);
    expect(h.seen('user_speech_committed')).toEqual([]);
    expect(errors(h)).toHaveLength(1);
  });

  it('counts failures in a row only: a stream that delivered events resets the count', async () => {
    const flaky = () => [
      { atAudioMs: 20, type: 'start_of_speech' as const },
      { atAudioMs: 50, error: lost('stt') },
    ];
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 1000, endMs: 1500 }],
      stt: flaky(),
      sttRestarts: [
        flaky(),
        flaky(),
        flaky(),
        flaky(),
        flaky(),
        [{ atAudioMs: 1000, type: 'final_transcript', text: 'Still there?' }],
      ],
      llm: [{ content: 'Yes.' }],
      tts: [{ text: 'Yes.', audioMs: 300 }],
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 5000);
    expect(errors(h)).toEqual(Array(6).fill({ source: 'stt', recoverable: true }));
    expect(h.messages().map((m) => m.content)).toEqual(['Still there?', 'Yes.']);
    h.stt.assertDone();
  });
});

describe('VoiceAssistant: the VAD stream fails mid-turn', () => {
  it('restarts it; the new stream hears the rest of the speech and the turn is answered', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 100, endMs: 1000 }],
      vadFailure: { atAudioMs: 600, error: new APIError('vad model crashed') },
      // Opened at about 600 ms: the user speaks for about 400 ms more.
      vadRestarts: [[{ startMs: 0, endMs: 400 }]],
      stt: [{ atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' }],
      llm: [{ content: 'It is in France.' }],
      tts: [{ text: 'It is in France.', audioMs: 400 }],
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 5000);
    expect(errors(h)).toEqual([{ source: 'vad', recoverable: true }]);
    expect(h.messages()).toEqual([
      { role: 'user', content: 'Tell me about Paris.' },
      { role: 'assistant', content: 'It is in France.' },
    ]);
    h.vad.assertDone();
  });

  it('ends the user speech it lost: the turn is answered, not merged into the next', async () => {
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 100, endMs: 1000 }],
      // The VAD dies as the user stops: the new stream never sees that speech end.
      vadFailure: { atAudioMs: 980, error: new APIError('vad model crashed') },
      vadRestarts: [[{ startMs: 2000, endMs: 2500 }]],
      stt: [
        { atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' },
        { atAudioMs: 3550, type: 'final_transcript', text: 'Hello?' },
      ],
      llm: [{ content: 'It is in France.' }, { content: 'Yes?' }],
      tts: [
        { text: 'It is in France.', audioMs: 400 },
        { text: 'Yes?', audioMs: 300 },
      ],
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 8000, 2);
    expect(errors(h)).toEqual([{ source: 'vad', recoverable: true }]);
    expect(h.messages()).toEqual([
      { role: 'user', content: 'Tell me about Paris.' },
      { role: 'assistant', content: 'It is in France.' },
      { role: 'user', content: 'Hello?' },
      { role: 'assistant', content: 'Yes?' },
    ]);
    // Answered in its own time: before the next speech began.
    expect(h.seen('user_speech_committed')[0]!.at).toBeLessThan(
      h.seen('user_started_speaking')[1]!.at,
    );
  });

  it('gives up after 5 failures in a row; the STT finals alone still end turns', async () => {
    const crash = () => ({
      regions: [],
      failure: { atAudioMs: 0, error: new APIError('no model') },
    });
    h = new Harness(voice.VoiceAssistant, {
      vad: [],
      vadFailure: crash().failure,
      vadRestarts: [crash(), crash(), crash(), crash()],
      stt: [{ atAudioMs: 1050, type: 'final_transcript', text: 'Tell me about Paris.' }],
      llm: [{ content: 'It is in France.' }],
      tts: [{ text: 'It is in France.', audioMs: 400 }],
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 5000);
    expect(errors(h)).toEqual([
      ...Array(4).fill({ source: 'vad', recoverable: true }),
      { source: 'vad', recoverable: false },
    ]);
    expect(h.seen('user_started_speaking')).toEqual([]);
    // No VAD: the final's arrival anchors the end of the turn.
    const committed = h.seen('user_speech_committed')[0]!;
    expect(committed.at).toBeGreaterThanOrEqual(1050 + 500);
    expect(h.messages().map((m) => m.content)).toEqual([
      'Tell me about Paris.',
      'It is in France.',
    ]);
    h.vad.assertDone();
  });
});
