import { llm, voice } from '@agents/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.assistant.close();
  h = undefined;
});

describe('VoiceAssistant tools', () => {
  it('runs two calls in parallel, commits calls with results, and answers with them', async () => {
    const started: string[] = [];
    let release!: () => void;
    const bothStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const make = (name: string, result: string) =>
      llm.tool({
        description: name,
        parameters: z.object({ city: z.string() }),
        execute: async () => {
          started.push(name);
          if (started.length === 2) release();
          await bothStarted;
          return result;
        },
      });
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 100, endMs: 1000 }],
      stt: [{ atAudioMs: 1050, type: 'final_transcript', text: 'Weather and time in Paris?' }],
      llm: [
        {
          toolCalls: [
            { name: 'getWeather', arguments: { city: 'Paris' } },
            { name: 'getTime', arguments: { city: 'Paris' } },
          ],
        },
        {
          content: 'Sunny, and it is noon.',
          expect: (request) => {
            const roles = request.chatCtx.messages.map((m) => m.role);
            expect(roles).toEqual(['user', 'assistant', 'tool', 'tool']);
            expect(request.toolChoice).toBe('auto');
          },
        },
      ],
      tts: [{ text: 'Sunny, and it is noon.', audioMs: 800 }],
      assistant: {
        tools: { getWeather: make('getWeather', 'sunny'), getTime: make('getTime', 'noon') },
      },
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 5000);
    expect(started.sort()).toEqual(['getTime', 'getWeather']);
    expect(h.payload('function_calls_collected').calls.map((c) => c.name)).toEqual([
      'getWeather',
      'getTime',
    ]);
    expect(h.payload('function_calls_finished').results).toEqual(['sunny', 'noon']);
    const messages = h.assistant.chatCtx.messages;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool', 'assistant']);
    expect(messages[4]!.content).toBe('Sunny, and it is noon.');
    h.llm.assertDone();
  });

  it('a new user turn cancels a running tool; the context stays valid and the turn is answered once', async () => {
    let toolSignal: AbortSignal | undefined;
    const slow = llm.tool({
      description: 'slow lookup',
      execute: (_args, { signal }) =>
        new Promise((_, reject) => {
          toolSignal = signal;
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    });
    h = new Harness(voice.VoiceAssistant, {
      vad: [
        { startMs: 100, endMs: 1000 },
        { startMs: 2000, endMs: 2600 },
      ],
      stt: [
        { atAudioMs: 1050, type: 'final_transcript', text: 'Look it up.' },
        { atAudioMs: 2650, type: 'final_transcript', text: 'Never mind.' },
      ],
      llm: [
        { toolCalls: [{ name: 'slow', arguments: {} }] },
        {
          content: 'Alright.',
          expect: (request) => {
            const tool = request.chatCtx.messages.find((m) => m.role === 'tool');
            expect(tool).toMatchObject({ isError: true });
            expect(tool?.content).toContain('cancelled');
            expect(request.chatCtx.messages.at(-1)).toMatchObject({ content: 'Never mind.' });
          },
        },
      ],
      tts: [{ text: 'Alright.', audioMs: 300 }],
      assistant: { tools: { slow } },
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 6000);
    expect(toolSignal?.aborted).toBe(true);
    expect(h.messages().map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'user',
      'assistant',
    ]);
    h.llm.assertDone();
  });

  it('refuses more tool rounds after maxToolSteps (tool_choice none)', async () => {
    const echo = llm.tool({ description: 'echo', execute: () => 'ok' });
    h = new Harness(voice.VoiceAssistant, {
      vad: [{ startMs: 100, endMs: 1000 }],
      stt: [{ atAudioMs: 1050, type: 'final_transcript', text: 'Go.' }],
      llm: [
        { toolCalls: [{ name: 'echo', arguments: {} }] },
        { content: 'Done.', expect: (r) => expect(r.toolChoice).toBe('none') },
      ],
      tts: [{ text: 'Done.', audioMs: 300 }],
      assistant: { tools: { echo }, maxToolSteps: 1 },
    });
    await h.start();
    await h.runUntil('agent_speech_committed', 5000);
    h.llm.assertDone();
  });
});
