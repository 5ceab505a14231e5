import { llm, stt, tts } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LLM, STT, TTS } from '../src/index.js';

// Calls the real service, at a small cost: runs only when OPENAI_API_KEY is set.
describe.skipIf(!process.env.OPENAI_API_KEY)('OpenAI, live', () => {
  it('streams a chat reply and calls a tool', { timeout: 60_000 }, async () => {
    const model = new LLM({ model: 'gpt-4o-mini', temperature: 0 });
    const fncCtx = {
      getWeather: llm.tool({
        description: 'Current weather in a city',
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => ({ city, sky: 'clear', tempC: 18 }),
      }),
    };
    const chatCtx = llm.ChatContext.from([
      { role: 'user', content: 'What is the weather in Lyon? Use the tool.' },
    ]);
    const stream = model.chat({ chatCtx, fncCtx });
    for await (const _ of stream) {
    }
    expect(stream.functionCalls.map((c) => c.name)).toEqual(['getWeather']);
    chatCtx
      .appendToolCalls(stream.functionCalls)
      .appendToolResults(await stream.executeFunctions());
    let reply = '';
    for await (const chunk of model.chat({ chatCtx, fncCtx })) reply += chunk.delta?.content ?? '';
    expect(reply).toMatch(/18/);
  });

  it('speaks, then hears what it said', { timeout: 60_000 }, async () => {
    const speech = await new TTS()
      .synthesize('The quick brown fox jumps over the lazy dog.')
      .collect();
    expect(speech.sampleRate).toBe(24_000);
    expect(speech.samplesPerChannel / speech.sampleRate).toBeGreaterThan(1);
    const event = await new STT({ language: 'en' }).recognize(speech);
    expect(event.type).toBe(stt.SpeechEventType.FINAL_TRANSCRIPT);
    expect(event.alternatives[0]!.text.toLowerCase()).toMatch(/quick brown fox/);
    expect(tts.TTS_FRAME_MS).toBe(20);
  });
});
