// The VoiceAssistant's own costs, with zero-latency scripted models, so only the framework is
// measured: the delay from the end-of-turn decision to the first agent audio handed to the
// output, the fade of an interruption in the recording, and the CPU one live conversation takes
// (with the real Silero VAD).
import { readFileSync } from 'node:fs';
import { audio, voice } from '@agents/core';
import { VAD } from '@agents/plugin-silero';
import { FakeLLM, FakeSTT, FakeTTS, FakeVAD, silentFrame } from '@agents/testing';
import { AudioFrame } from '@livekit/rtc-node';
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';

const TICK_MS = 10;
const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `count` copies of `make(k)`. */
const times = <T>(count: number, make: (k: number) => T): T[] =>
  Array.from({ length: count }, (_, k) => make(k));

/** Calls `before` each time `method` of `target` is called, then the method itself. */
function spy<T extends object, K extends keyof T>(target: T, method: K, before: () => void): void {
  const original = (target[method] as (...args: unknown[]) => unknown).bind(target);
  target[method] = ((...args: unknown[]) => {
    before();
    return original(...args);
  }) as T[K];
}

/** Drives a conversation on a virtual clock, `TICK_MS` at a time, until `endMs`. */
async function drive(clock: voice.VirtualClock, endMs: number, busy: () => boolean) {
  for (let t = 0; t < endMs; t += TICK_MS) {
    await clock.advance(TICK_MS);
    // While a reply is on its way, the loop turns with no new audio, as it would between
    // two 10 ms frames in real time: the delay measured is the framework's, not the driver's.
    for (let i = 0; busy() && i < 1000; i++) await yieldOnce();
  }
}

/** (a) End-of-turn decision to first frame handed to `captureFrame`, in wall-clock ms. */
async function endOfTurnToFirstFrame(preemptive: boolean, turns: number) {
  const period = 2500;
  const regions = times(turns, (k) => ({ startMs: 300 + k * period, endMs: 1100 + k * period }));
  const finals = regions.map((r, k) => ({
    atAudioMs: r.endMs + 50,
    type: 'final_transcript' as const,
    text: `Question number ${k + 1}?`,
  }));
  const clock = new voice.VirtualClock();
  const io = new voice.FileIO(silentFrame(turns * period + 1000, 16_000), { clock });
  const assistant = new voice.VoiceAssistant({
    vad: new FakeVAD({ streams: [regions] }),
    stt: new FakeSTT({ streams: [finals] }),
    llm: new FakeLLM({ responses: times(turns, (k) => ({ content: `Answer ${k + 1}.` })) }),
    tts: new FakeTTS({ synthesize: times(turns, () => ({ audioMs: 300 })) }),
    preemptiveSynthesis: preemptive,
    minEndpointingDelay: 0.5,
  });
  let errors = 0;
  assistant.on('error', () => errors++);
  let committedAt: number | undefined;
  const delays: number[] = [];
  assistant.on('user_speech_committed', () => {
    committedAt = performance.now();
  });
  spy(io.output, 'captureFrame', () => {
    if (committedAt === undefined) return;
    delays.push(performance.now() - committedAt);
    committedAt = undefined;
  });
  await assistant.start(io);
  await drive(clock, turns * period + 1000, () => committedAt !== undefined);
  await assistant.close();
  await io.close();
  return { delays, errors };
}

/** (b) From the output's first reaction to the user cutting in to silence in the recording. */
async function interruptionFade(cycles: number) {
  const period = 6000;
  // Each cycle: a question, a 2 s answer, the user cutting in 0.7 s into it with words.
  const regions = times(cycles, (k) => [
    { startMs: 300 + k * period, endMs: 1100 + k * period },
    { startMs: 2300 + k * period, endMs: 3100 + k * period },
  ]).flat();
  const finals = times(cycles, (k) => [
    { atAudioMs: 1150 + k * period, type: 'final_transcript' as const, text: 'Tell me a story.' },
    { atAudioMs: 3150 + k * period, type: 'final_transcript' as const, text: 'Stop.' },
  ]).flat();
  const clock = new voice.VirtualClock();
  const io = new voice.FileIO(silentFrame(cycles * period + 1000, 16_000), { clock });
  const answer = 'Once upon a time there was a benchmark.';
  const assistant = new voice.VoiceAssistant({
    vad: new FakeVAD({ streams: [regions] }),
    stt: new FakeSTT({ streams: [finals] }),
    llm: new FakeLLM({ responses: times(cycles * 2, () => ({ content: answer })) }),
    tts: new FakeTTS({ synthesize: times(cycles * 2, () => ({ audioMs: 2000 })) }),
  });
  let errors = 0;
  assistant.on('error', () => errors++);
  // The first pause() or clearBuffer() of each cycle is when the fade begins.
  const reactions: number[] = [];
  const react = () => {
    const at = clock.now();
    const last = reactions.at(-1);
    if (last === undefined || at - last > period / 2) reactions.push(at);
  };
  spy(io.output, 'pause', react);
  spy(io.output, 'clearBuffer', react);
  await assistant.start(io);
  await drive(clock, cycles * period + 1000, () => false);
  await assistant.close();
  await io.close();

  const recording = io.recorder.toFrame();
  const rate = recording.sampleRate;
  const silentRun = Math.round(rate * 0.05);
  const fades = reactions.map((at) => {
    const from = io.recorder.indexAt(at);
    // The fade ends at the last agent sample before 50 ms of silence.
    let lastSound = from;
    for (let i = from; i < recording.samplesPerChannel && i - lastSound < silentRun; i++) {
      if (recording.data[2 * i + 1] !== 0) lastSound = i;
    }
    return ((lastSound - from + 1) / rate) * 1000;
  });
  return { fades, errors };
}

/** The fixture's speech `repeats` times over, as one frame. */
function repeatedSpeech(repeats: number): { input: AudioFrame; fixtureSeconds: number } {
  const fixture = audio.decodeWav(
    readFileSync(
      new URL('../../plugins/silero/test/fixtures/speech-16k-mono.wav', import.meta.url),
    ),
  );
  const length = fixture.samplesPerChannel;
  const data = new Int16Array(length * repeats);
  for (let r = 0; r < repeats; r++) data.set(fixture.data, r * length);
  const input = new AudioFrame(data, fixture.sampleRate, 1, length * repeats);
  return { input, fixtureSeconds: length / fixture.sampleRate };
}

/** Ends of the fixture's sentences, in seconds (regions.json). */
const SENTENCE_ENDS = [2.332187, 4.483812, 6.39575];

/** (c) CPU of one conversation in real time: the real Silero VAD, fakes for the rest. */
async function conversationCpu(silero: VAD, repeats: number) {
  const { input, fixtureSeconds } = repeatedSpeech(repeats);
  const seconds = input.samplesPerChannel / input.sampleRate;
  const finals = times(repeats, (r) =>
    SENTENCE_ENDS.map((end) => ({
      atAudioMs: Math.round((end + r * fixtureSeconds) * 1000) + 100,
      type: 'final_transcript' as const,
      text: 'Something the user said.',
    })),
  ).flat();
  const io = new voice.FileIO(input, {});
  const assistant = new voice.VoiceAssistant({
    vad: silero,
    stt: new FakeSTT({ streams: [finals] }),
    // More than needed: how Silero splits the speech decides how many turns there are.
    llm: new FakeLLM({ responses: times(finals.length * 2, () => ({ content: 'Sure.' })) }),
    tts: new FakeTTS({ synthesize: times(finals.length * 2, () => ({ audioMs: 300 })) }),
  });
  let answers = 0;
  assistant.on('agent_speech_committed', () => answers++);
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  await assistant.start(io);
  await io.input.fileDone;
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  await assistant.close();
  await io.close();
  return { percent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100, seconds, answers };
}

/** (c) for comparison: the same audio paced by FileIO into a Silero stream, no assistant. */
async function vadOnlyCpu(silero: VAD, repeats: number) {
  const { input } = repeatedSpeech(repeats);
  const io = new voice.FileIO(input, { afterInputEnd: 'end' });
  const stream = silero.stream();
  const reading = (async () => {
    for await (const _ of stream) {
    }
  })();
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  for await (const frame of io.input) await stream.write(frame);
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  stream.endInput();
  await reading;
  await stream.close();
  await io.close();
  return ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
}

const ms = (values: number[]) =>
  `p50 ${fmt(median(values), 2)} ms, p95 ${fmt(percentile(values, 95), 2)} ms`;

export const voiceSuite: Suite = {
  name: 'voice',
  async run(): Promise<Row[]> {
    const rows: Row[] = [];
    const turns = 40;
    for (const preemptive of [true, false]) {
      // A first conversation warms the JIT; the second is measured.
      await endOfTurnToFirstFrame(preemptive, 5);
      const { delays, errors } = await endOfTurnToFirstFrame(preemptive, turns);
      const met = percentile(delays, 95) < 20;
      rows.push({
        name: `end-of-turn decision → first agent frame to the output, preemptive ${preemptive ? 'on' : 'off'}`,
        result: `${met ? '' : 'MISS: '}${ms(delays)} (target < 20 ms)`,
        detail:
          `${delays.length} of ${turns} turns, zero-latency fake VAD/STT/LLM/TTS (TTS through the ` +
          `stream adapter), FileIO on a virtual clock; wall time from user_speech_committed to ` +
          `captureFrame${errors ? `; ${errors} errors` : ''}`,
      });
    }
    const { fades, errors } = await interruptionFade(10);
    rows.push({
      name: 'interruption fade: output reacts → agent channel silent',
      result: `median ${fmt(median(fades), 1)} ms, max ${fmt(Math.max(...fades), 1)} ms`,
      detail:
        `${fades.length} interruptions of a 2 s answer (user speaks 0.5 s over it: pause, then ` +
        `words: clear), RecordingAudioOutput's recorded agent channel, virtual clock` +
        (errors ? `; ${errors} errors` : ''),
    });
    const silero = await VAD.load();
    try {
      const vadOnly = await vadOnlyCpu(silero, 3);
      const cpu = await conversationCpu(silero, 3);
      rows.push({
        name: 'CPU of one live conversation',
        result: `${fmt(cpu.percent, 1)} % of one core`,
        detail:
          `${fmt(cpu.seconds, 1)} s of 16 kHz speech in real time through FileIO, real Silero VAD, ` +
          `fake STT/LLM/TTS (${cpu.answers} answers spoken and recorded); process.cpuUsage over ` +
          `wall time. The same audio paced into a Silero stream alone: ${fmt(vadOnly, 1)} %`,
      });
    } finally {
      await silero.close();
    }
    return rows;
  },
};
