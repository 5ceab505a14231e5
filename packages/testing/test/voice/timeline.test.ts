// A scripted conversation on a virtual clock, recorded by a voice.Timeline and
// drawn as SVG: the picture must match the committed golden file byte for byte.
// After a deliberate change to the drawing, regenerate it with
//   UPDATE_GOLDEN=1 pnpm exec vitest run test/voice/timeline.test.ts
// and look at the new picture in a browser before committing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { llm, stt, voice } from '@agents/core';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { FakeLLM, FakeSTT, FakeTTS, FakeVAD, silentFrame } from '../../src/index.js';

const GOLDEN = fileURLToPath(new URL('../fixtures/timeline-conversation.svg', import.meta.url));
const ANSWER = 'It is sunny and 22 degrees in Paris today.';
const SECOND = 'Cloudy in London.';

/** The conversation: a question with a tool call, a cough, a false interruption, a real one. */
async function recordConversation(): Promise<{ svg: string; data: voice.TimelineData }> {
  const clock = new voice.VirtualClock(1000);
  const vad = new FakeVAD({
    streams: [
      [
        { startMs: 300, endMs: 1500 }, // the question
        { startMs: 2600, endMs: 2900 }, // a cough: ducks the agent, too short to interrupt
        { startMs: 3300, endMs: 4000 }, // noise long enough to pause the agent, but no words
        { startMs: 5600, endMs: 6600 }, // a real interruption and a second question
      ],
    ],
  });
  const interim = stt.SpeechEventType.INTERIM_TRANSCRIPT;
  const final = stt.SpeechEventType.FINAL_TRANSCRIPT;
  const sttFake = new FakeSTT({
    streams: [
      [
        { atAudioMs: 700, type: interim, text: "what's" },
        { atAudioMs: 1100, type: interim, text: "what's the weather" },
        { atAudioMs: 1550, type: final, text: "What's the weather in Paris?" },
        { atAudioMs: 5900, type: interim, text: 'and in' },
        { atAudioMs: 6650, type: final, text: 'And in London?' },
      ],
    ],
  });
  const llmFake = new FakeLLM({
    responses: [
      { toolCalls: [{ name: 'getWeather', arguments: { city: 'Paris' } }] },
      { content: ANSWER },
      { content: SECOND },
    ],
  });
  const tts = new FakeTTS({
    synthesize: [
      { text: ANSWER, audioMs: 3000 },
      { text: SECOND, audioMs: 1200 },
    ],
  });
  const getWeather = llm.tool({
    description: 'The weather in a city',
    parameters: z.object({ city: z.string() }),
    execute: async () => 'sunny, 22 °C',
  });
  const assistant = new voice.VoiceAssistant({
    vad,
    stt: sttFake,
    llm: llmFake,
    tts,
    tools: { getWeather },
    falseInterruptionTimeout: 1,
  });
  const io = new voice.FileIO(silentFrame(9500, 16_000), { clock, afterInputEnd: 'end' });
  const timeline = new voice.Timeline();
  timeline.record(assistant);
  await assistant.start(io);
  await clock.advance(10_500);
  await assistant.close();
  await io.close();
  const origin = io.recorder.origin ?? io.input.startedAt;
  return { svg: timeline.toSVG({ origin, title: 'Scripted conversation' }), data: timeline.data() };
}

it('draws a scripted conversation exactly as the golden file', async () => {
  const { svg, data } = await recordConversation();
  const kinds = new Set(data.marks.map((m) => m.type));
  for (const kind of [
    'user_started',
    'interim',
    'final',
    'end_of_turn',
    'agent_started',
    'gain',
    'paused',
    'false_interruption',
    'interrupted',
    'tool_calls',
    'tool_results',
    'turn',
  ]) {
    expect(kinds, `no ${kind} mark in ${[...kinds].join(', ')}`).toContain(kind);
  }
  expect(data.level.values.some((v) => v > 0.01)).toBe(true);
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, svg);
  expect(svg).toBe(readFileSync(GOLDEN, 'utf8'));
});

it('gives the same picture for the same conversation', async () => {
  const [a, b] = [await recordConversation(), await recordConversation()];
  expect(a.svg).toBe(b.svg);
});
