// Forked by bench/suites/voice-memory.ts: memory of a process with @agents/core imported, then
// idle with what a voice job imports (Silero loaded, the fakes), then while one conversation runs from the fixture WAV through FileIO
// (48 kHz input, real Silero VAD, zero-latency fakes). Sends both to the parent and exits.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { AudioFrame } from '@livekit/rtc-node';

const seconds = Number(process.argv[2] ?? 20);
const fixture = new URL('../../plugins/silero/test/fixtures/speech-16k-mono.wav', import.meta.url);

function sample() {
  globalThis.gc?.();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

/** The median of each field over `count` samples a second apart. */
async function steady(count) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    await sleep(1000);
    samples.push(sample());
  }
  const mid = (key) => samples.map((s) => s[key]).sort((a, b) => a - b)[Math.floor(count / 2)];
  return { rss: mid('rss'), heapUsed: mid('heapUsed'), external: mid('external') };
}

// Imported one after the other, so each one's share shows.
const { audio, voice } = await import('@agents/core');
const coreOnly = await steady(3);
const { VAD } = await import('@agents/plugin-silero');
const { FakeLLM, FakeSTT, FakeTTS } = await import('@agents/testing');
const silero = await VAD.load();
const idle = await steady(3);

const many = (n, make) => Array.from({ length: n }, make);
// The fixture over and over for the whole run, so the user keeps talking: its sentences end at
// 2.33, 4.48 and 6.40 s (regions.json), where the fake STT gives its finals.
const wav = audio.decodeWav(readFileSync(fixture));
const fileSeconds = wav.samplesPerChannel / wav.sampleRate;
const repeats = Math.ceil((seconds + 5) / fileSeconds);
const data = new Int16Array(wav.samplesPerChannel * repeats);
for (let r = 0; r < repeats; r++) data.set(wav.data, r * wav.samplesPerChannel);
const input = new AudioFrame(data, wav.sampleRate, 1, data.length);
const io = await voice.createConsoleIO({ input, inputSampleRate: 48_000 });
const finals = many(repeats, (_, r) =>
  [2.33, 4.48, 6.4].map((end) => ({
    atAudioMs: Math.round((end + r * fileSeconds) * 1000) + 100,
    type: 'final_transcript',
    text: 'Something the user said.',
  })),
).flat();
const assistant = new voice.VoiceAssistant({
  vad: silero,
  stt: new FakeSTT({ streams: [finals] }),
  llm: new FakeLLM({
    responses: many(finals.length * 3, () => ({ content: 'Sure, here is an answer.' })),
  }),
  tts: new FakeTTS({ synthesize: many(finals.length * 3, () => ({ audioMs: 600 })) }),
});
let answers = 0;
assistant.on('agent_speech_committed', () => answers++);
await assistant.start(io);
// The first seconds allocate the model state, queues and recorder; then it is steady.
await sleep(3000);
const running = await steady(Math.max(3, seconds - 3));
await assistant.close();
await io.close();
await silero.close();
process.send?.({ coreOnly, idle, running, answers });
process.disconnect?.();
