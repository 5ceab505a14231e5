// The demo's scripted stand-ins, through the very plugins the agent uses: the
// transcript is the words of the recording, the model calls getWeather and
// then answers with that city's weather, and the answer is the recorded voice.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { audio, llm } from '@agents/core';
import * as deepgram from '@agents/plugin-deepgram';
import * as elevenlabs from '@agents/plugin-elevenlabs';
import * as openai from '@agents/plugin-openai';
import { afterEach, expect, it } from 'vitest';
import { z } from 'zod';
import { GREETING, type StandIns, spokenRequests, startStandIns } from '../stand-ins.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
let standIns: StandIns | undefined;

afterEach(async () => {
  await standIns?.close();
  standIns = undefined;
});

async function start(input: string): Promise<StandIns> {
  standIns = await startStandIns({
    services: ['deepgram', 'openai', 'elevenlabs'],
    input: fixture(input),
    latency: 'none',
  });
  return standIns;
}

it('transcribes a committed recording as the words it speaks', async () => {
  const { env } = await start('two-requests.wav');
  const stt = new deepgram.STT({ apiKey: env.DEEPGRAM_API_KEY, baseURL: env.DEEPGRAM_BASE_URL });
  const recording = audio.decodeWav(readFileSync(fixture('two-requests.wav')));
  const event = await stt.recognize(recording);
  const words = spokenRequests('two-requests.wav')?.map((r) => r.text);
  expect(words).toEqual(["What's the weather in Paris?", 'And in London?']);
  expect(event.alternatives[0]?.text).toBe(words?.join(' '));
});

it('has no transcripts to give for a recording it does not know', async () => {
  const { deepgram: dg } = await start('/tmp/my-own.wav');
  expect(dg?.pendingScripts).toEqual([]);
});

async function reply(model: llm.LLM, chatCtx: llm.ChatContext) {
  const stream = model.chat({ chatCtx, fncCtx: { getWeather: weatherTool } });
  let text = '';
  for await (const chunk of stream) text += chunk.delta?.content ?? '';
  return { text, calls: [...stream.functionCalls] };
}

const weatherTool = llm.tool({
  description: 'The weather today in a city',
  parameters: z.object({ location: z.string() }),
  execute: () => ({}),
});

it('calls getWeather for the city asked about, then answers from its result', async () => {
  const { env } = await start('weather-request.wav');
  const model = new openai.LLM({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL });
  const chatCtx = llm.ChatContext.from([
    { role: 'system', content: 'You are a voice assistant.' },
    { role: 'user', content: "What's the weather like in Paris today?" },
  ]);
  const first = await reply(model, chatCtx);
  expect(first.text).toBe('');
  expect(first.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
    ['getWeather', { location: 'Paris' }],
  ]);
  const call = first.calls[0]!;
  chatCtx.appendToolCalls(first.calls).append({
    role: 'tool',
    toolCallId: call.id,
    name: call.name,
    content: JSON.stringify({ location: 'Paris', condition: 'sunny', temperatureC: 22 }),
    isError: false,
  });
  expect((await reply(model, chatCtx)).text).toBe('Sunny in Paris, twenty two degrees.');

  // A question about no city it knows gets the answer that says which it knows, at once.
  const other = llm.ChatContext.from([{ role: 'user', content: 'Tell me a joke.' }]);
  expect(await reply(model, other)).toEqual({
    text: 'I can tell you the weather in Paris, London or Rome.',
    calls: [],
  });
});

it('speaks the greeting with its recording', async () => {
  const { env } = await start('weather-request.wav');
  const tts = new elevenlabs.TTS({ apiKey: env.ELEVEN_API_KEY, baseURL: env.ELEVEN_BASE_URL });
  const frames = [];
  for await (const chunk of tts.synthesize(GREETING)) frames.push(chunk.frame);
  await tts.close();
  const spoken = audio.combineFrames(frames);
  const recorded = audio.decodeWav(readFileSync(fixture('reply-greeting.wav')));
  expect(spoken.sampleRate).toBe(recorded.sampleRate);
  expect(Array.from(spoken.data)).toEqual(Array.from(recorded.data));
});
