// Live conversations in one process, as a room delivers them: 48 kHz mono 10 ms frames paced in
// real time, a VAD (the real Silero, or FakeVAD to see the pipeline's own share), zero-latency
// scripted STT/LLM/TTS, and the VoiceAssistant. Reports CPU per conversation and how many
// conversations one process (one core for the JS) sustains with the framework's added delay,
// end of turn → first agent frame handed to the output, under 50 ms at p95.
//
// `pnpm exec tsx run.ts voice-load`; VOICE_LOAD_SECONDS sets each step's length (default 15),
// VOICE_LOAD_ONLY=silero|fake|formats runs one part (formats: the input rates side by side).
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { audio, vad as vadNs, voice } from '@agents/core';
import { VAD } from '@agents/plugin-silero';
import { FakeLLM, FakeSTT, FakeTTS, FakeVAD } from '@agents/testing';
import { AudioFrame } from '@livekit/rtc-node';
import { fmt, median, percentile, type Row, type Suite } from '../measure.js';

const FIXTURE = new URL('../../plugins/silero/test/fixtures/speech-16k-mono.wav', import.meta.url);
/** Speech in the fixture, in seconds (regions.json). */
const FIXTURE_SPEECH = [
  [0.6, 2.332187],
  [3.332187, 4.483812],
  [5.283812, 6.39575],
] as const;
const DELAY_TARGET_MS = 50;
/** Conversations start spread over this much time, as calls arrive, not in lockstep. */
const STAGGER_MS = 1000;

const times = <T>(count: number, make: (k: number) => T): T[] =>
  Array.from({ length: count }, (_, k) => make(k));

export type VadKind = 'silero' | 'fake';

/** The fixture repeated to at least `seconds`, and where its speech is. */
function userAudio(seconds: number, sampleRate = 48_000) {
  const fixture = audio.decodeWav(readFileSync(FIXTURE));
  const fixtureSeconds = fixture.samplesPerChannel / fixture.sampleRate;
  const repeats = Math.max(1, Math.ceil(seconds / fixtureSeconds));
  const data = new Int16Array(fixture.samplesPerChannel * repeats);
  for (let r = 0; r < repeats; r++) data.set(fixture.data, r * fixture.samplesPerChannel);
  // Resampled once here, shared by every conversation: the input only slices it per frame.
  const whole = new AudioFrame(data, fixture.sampleRate, 1, data.length);
  const frame =
    sampleRate === fixture.sampleRate
      ? whole
      : audio.combineFrames(audio.resampleFrames(whole, sampleRate));
  const speech = times(repeats, (r) =>
    FIXTURE_SPEECH.map(([start, end]) => ({
      startMs: Math.round((start + r * fixtureSeconds) * 1000),
      endMs: Math.round((end + r * fixtureSeconds) * 1000),
    })),
  ).flat();
  return { frame, speech, seconds: repeats * fixtureSeconds };
}

interface Conversation {
  /** Ideal end of turn → first agent frame handed to the output, ms. */
  delays: number[];
  /** user_speech_committed → that frame, ms: the reply path alone. */
  replyDelays: number[];
  answers: number;
  errors: number;
  io: LiveIO;
  assistant: voice.VoiceAssistant;
}

/** How the user's audio arrives: a room's AudioStream delivers 20 ms frames at the asked rate. */
export interface InputFormat {
  sampleRate: number;
  frameMs: number;
}
export const MIC_48K: InputFormat = { sampleRate: 48_000, frameMs: 10 };

/** A binding like a room's: paced input, a played-out output, no recording. */
interface LiveIO extends voice.VoiceIO {
  input: voice.FileAudioInput;
  output: voice.RecordingAudioOutput;
  close(): Promise<void>;
}

function liveIO(frame: AudioFrame, format: InputFormat, clock: voice.Clock): LiveIO {
  const input = new voice.FileAudioInput(frame, { clock, frameMs: format.frameMs });
  const output = new voice.RecordingAudioOutput({ clock });
  return {
    input,
    output,
    now: () => clock.now(),
    setTimer: (ms, callback) => clock.setTimer(ms, callback),
    async close() {
      await input.close();
      await output.close();
    },
  };
}

const MIN_ENDPOINTING_DELAY_MS = 500;

/**
 * `vad` with its streams' events also told to `onEvent`: the VAD stays the assistant's
 * (same prototype), only `stream()` is wrapped.
 */
function tapped(vad: vadNs.VAD, onEvent: (event: vadNs.VADEvent) => void): vadNs.VAD {
  const wrapper = Object.create(vad) as vadNs.VAD;
  wrapper.stream = () => {
    const stream = vad.stream();
    const events = stream[Symbol.asyncIterator].bind(stream);
    stream[Symbol.asyncIterator] = async function* () {
      for await (const event of { [Symbol.asyncIterator]: events }) {
        onEvent(event);
        yield event;
      }
    } as never;
    return stream;
  };
  return wrapper;
}

/**
 * One conversation's parts; the input is resampled to 48 kHz once, here, not per frame.
 *
 * The delay counted is from the ideal end of turn to the first agent frame handed to the
 * output. The ideal end of turn is when it falls on the input's own clock: the VAD's end of
 * speech, in the audio's time (its timestamp less its silence window), plus the endpointing
 * delay, or the VAD's report if that is later, mapped to when that audio was spoken. So the
 * figure holds everything the process adds (late frames, a VAD behind, late timers, the reply
 * path) and none of what the models take by design (the VAD's silence window).
 */
function conversation(
  input: ReturnType<typeof userAudio>,
  vadKind: VadKind,
  silero: VAD | undefined,
  clock: voice.Clock = voice.realClock,
  format: InputFormat = MIC_48K,
): Conversation {
  const { speech } = input;
  const finals = speech.map((r) => ({
    atAudioMs: r.endMs + 100,
    type: 'final_transcript' as const,
    text: 'Something the user said.',
  }));
  const io = liveIO(input.frame, format, clock);
  let idealEndOfTurn: number | undefined;
  const onVAD = (event: vadNs.VADEvent) => {
    if (event.type !== vadNs.VADEventType.END_OF_SPEECH) return;
    const startedAt = io.input.startedAt ?? 0;
    const reportedMs = event.timestamp * 1000;
    const voicedUntilMs = reportedMs - event.silenceDuration * 1000;
    idealEndOfTurn = startedAt + Math.max(voicedUntilMs + MIN_ENDPOINTING_DELAY_MS, reportedMs);
  };
  const baseVAD = vadKind === 'silero' ? silero! : new FakeVAD({ streams: [speech] });
  const assistant = new voice.VoiceAssistant({
    vad: tapped(baseVAD, onVAD),
    stt: new FakeSTT({ streams: [finals] }),
    // More than needed: how Silero splits the speech decides how many turns there are.
    llm: new FakeLLM({ responses: times(finals.length * 3, () => ({ content: 'Sure.' })) }),
    tts: new FakeTTS({ synthesize: times(finals.length * 3, () => ({ audioMs: 300 })) }),
    minEndpointingDelay: MIN_ENDPOINTING_DELAY_MS / 1000,
  });
  const c: Conversation = { delays: [], replyDelays: [], answers: 0, errors: 0, io, assistant };
  let committedAt: number | undefined;
  assistant.on('error', (e) => {
    c.errors++;
    if (process.env.VOICE_LOAD_DEBUG) console.error(e);
  });
  assistant.on('agent_speech_committed', () => c.answers++);
  assistant.on('user_speech_committed', () => {
    committedAt = performance.now();
  });
  const capture = io.output.captureFrame.bind(io.output);
  io.output.captureFrame = (frame) => {
    if (committedAt !== undefined) {
      const now = performance.now();
      c.replyDelays.push(now - committedAt);
      if (idealEndOfTurn !== undefined) c.delays.push(now - idealEndOfTurn);
      committedAt = undefined;
      idealEndOfTurn = undefined;
    }
    return capture(frame);
  };
  return c;
}

export interface LoadResult {
  conversations: number;
  /** CPU of the whole process over the steady window, % of one core. */
  cpuPercent: number;
  delays: number[];
  replyDelays: number[];
  answers: number;
  errors: number;
  droppedFrames: number;
  loopDelayP99Ms: number;
}

/** Runs `n` live conversations at once for `seconds` of user audio each. */
export async function runConversations(
  n: number,
  vadKind: VadKind,
  seconds: number,
  silero?: VAD,
): Promise<LoadResult> {
  const input = userAudio(seconds);
  const all = times(n, () => conversation(input, vadKind, silero));
  const started = all.map(
    (c, k) =>
      new Promise<void>((resolve, reject) => {
        setTimeout(
          () => c.assistant.start(c.io).then(resolve, reject),
          (k * STAGGER_MS) / Math.max(1, n),
        );
      }),
  );
  await Promise.all(started);
  // The steady window: every conversation running, none finished.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await all[0]!.io.input.fileDone;
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  loop.disable();
  // Turns at the end of the first file are let finish in the others.
  await Promise.all(all.map((c) => c.io.input.fileDone));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await Promise.all(all.map((c) => c.assistant.close()));
  await Promise.all(all.map((c) => c.io.close()));
  return {
    conversations: n,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    delays: all.flatMap((c) => c.delays),
    replyDelays: all.flatMap((c) => c.replyDelays),
    answers: all.reduce((sum, c) => sum + c.answers, 0),
    errors: all.reduce((sum, c) => sum + c.errors, 0),
    droppedFrames: all.reduce((sum, c) => sum + c.io.input.droppedFrames, 0),
    loopDelayP99Ms: loop.percentile(99) / 1e6,
  };
}

/**
 * CPU time per second of conversation, on a virtual clock run as fast as the work allows: the
 * figure counts work done, not the share of a core a busy machine lets the process have, so
 * two builds compare on a shared machine. Frames dropped mean the driver outran the pipeline.
 */
export async function cpuPerConversationSecond(
  n: number,
  vadKind: VadKind,
  seconds: number,
  silero?: VAD,
  format: InputFormat = MIC_48K,
): Promise<{ cpuMsPerSecond: number; droppedFrames: number; answers: number }> {
  const input = userAudio(seconds, format.sampleRate);
  const clock = new voice.VirtualClock(performance.now());
  const all = times(n, () => conversation(input, vadKind, silero, clock, format));
  await Promise.all(all.map((c) => c.assistant.start(c.io)));
  const yieldOnce = () => new Promise<void>((resolve) => setImmediate(resolve));
  const cpuStart = process.cpuUsage();
  for (let t = 0; t < input.seconds * 1000; t += format.frameMs) {
    await clock.advance(format.frameMs);
    for (let i = 0; i < (vadKind === 'silero' ? 4 : 2); i++) await yieldOnce();
  }
  const cpu = process.cpuUsage(cpuStart);
  for (let t = 0; t < 1500; t += 10) await clock.advance(10);
  await Promise.all(all.map((c) => c.assistant.close()));
  await Promise.all(all.map((c) => c.io.close()));
  return {
    cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / (n * input.seconds),
    droppedFrames: all.reduce((sum, c) => sum + c.io.input.droppedFrames, 0),
    answers: all.reduce((sum, c) => sum + c.answers, 0),
  };
}

/** Sustained: the delay target met, the process within one core, no audio dropped, no errors. */
export function sustained(r: LoadResult): boolean {
  return (
    r.delays.length > 0 &&
    percentile(r.delays, 95) < DELAY_TARGET_MS &&
    r.cpuPercent <= 100 &&
    r.droppedFrames === 0 &&
    r.errors === 0
  );
}

const describe = (r: LoadResult) =>
  `${r.conversations} conv: CPU ${fmt(r.cpuPercent, 0)} %, delay p50 ${fmt(median(r.delays), 1)} ` +
  `p95 ${fmt(percentile(r.delays, 95), 1)} ms (${r.delays.length} turns; reply path p95 ` +
  `${fmt(percentile(r.replyDelays, 95), 1)} ms), loop p99 ` +
  `${fmt(r.loopDelayP99Ms, 1)} ms${r.droppedFrames ? `, ${r.droppedFrames} frames dropped` : ''}` +
  `${r.errors ? `, ${r.errors} errors` : ''}`;

/** Grows N by half each step until a step misses; the last step that met it is the answer. */
async function capacity(vadKind: VadKind, start: number, seconds: number, silero?: VAD) {
  const steps: LoadResult[] = [];
  let best: LoadResult | undefined;
  for (let n = start; n <= 2000; n = Math.ceil(n * 1.5)) {
    const r = await runConversations(n, vadKind, seconds, silero);
    steps.push(r);
    process.stderr.write(`  ${vadKind}: ${describe(r)}\n`);
    if (!sustained(r)) break;
    best = r;
  }
  return { best, steps };
}

/**
 * CPU per conversation-second (virtual clock: work done) with the user's audio as a 48 kHz
 * microphone, as the room binding delivered it before (24 kHz) and now (16 kHz), 20 ms frames;
 * the formats alternate in one process so a busy machine weighs on each alike.
 */
async function formats(silero: VAD): Promise<Row[]> {
  const cases: Array<{ name: string; format: InputFormat }> = [
    { name: '48 kHz, 10 ms frames (a microphone)', format: MIC_48K },
    {
      name: '24 kHz, 20 ms frames (the room input before)',
      format: { sampleRate: 24_000, frameMs: 20 },
    },
    {
      name: '16 kHz, 20 ms frames (the room input now)',
      format: { sampleRate: 16_000, frameMs: 20 },
    },
  ];
  const n = 4;
  const seconds = 10;
  const rounds = Number(process.env.VOICE_LOAD_ROUNDS ?? 5);
  const figures = cases.map(() => [] as number[]);
  for (const { format } of cases) await cpuPerConversationSecond(n, 'silero', 3, silero, format);
  for (let round = 0; round < rounds; round++) {
    for (const [k, { format }] of cases.entries()) {
      const r = await cpuPerConversationSecond(n, 'silero', seconds, silero, format);
      figures[k]!.push(r.cpuMsPerSecond);
    }
  }
  const base = figures[1]!;
  return cases.map(({ name }, k) => {
    const ratios = figures[k]!.map((value, i) => value / base[i]!);
    return {
      name: `CPU per conversation-second, real Silero VAD, user audio at ${name}`,
      result:
        `${fmt(median(figures[k]!), 2)} ms (${fmt((median(figures[k]!) / 1000) * 100, 2)} % of a core)` +
        `, ${fmt(median(ratios), 2)}x the 24 kHz figure`,
      detail:
        `${n} conversations on a virtual clock (work done, not the machine's share), ${seconds} s ` +
        `each, medians of ${rounds} rounds with the three formats in turn; ratio per round; ` +
        `range ${fmt(Math.min(...figures[k]!), 2)}–${fmt(Math.max(...figures[k]!), 2)} ms`,
    };
  });
}

export const voiceLoadSuite: Suite = {
  name: 'voice-load',
  async run(): Promise<Row[]> {
    const seconds = Number(process.env.VOICE_LOAD_SECONDS ?? 15);
    const only = process.env.VOICE_LOAD_ONLY;
    const rows: Row[] = [];
    const silero = await VAD.load();
    try {
      if (!only || only === 'formats') rows.push(...(await formats(silero)));
      if (only === 'formats') return rows;
      for (const vadKind of ['silero', 'fake'] as const) {
        if (only && only !== vadKind) continue;
        const vad = vadKind === 'silero' ? silero : undefined;
        const vadName = vadKind === 'silero' ? 'real Silero VAD' : 'FakeVAD';
        await runConversations(1, vadKind, 5, vad); // warms the JIT
        const one = await runConversations(1, vadKind, seconds, vad);
        rows.push({
          name: `CPU of one live conversation, ${vadName}`,
          result: `${fmt(one.cpuPercent, 1)} % of one core`,
          detail:
            `${fmt(seconds, 0)} s of speech as 48 kHz mono 10 ms frames paced in real time ` +
            `(FileAudioInput, RecordingAudioOutput), ${vadName}, FakeSTT/FakeLLM/FakeTTS at zero latency, the VoiceAssistant; ` +
            `process.cpuUsage over wall time; ${one.answers} answers; ${describe(one)}`,
        });
        const { best, steps } = await capacity(
          vadKind,
          vadKind === 'silero' ? 4 : 20,
          seconds,
          vad,
        );
        const perConversation = best ? best.cpuPercent / best.conversations : Number.NaN;
        rows.push({
          name: `live conversations one process sustains, ${vadName}`,
          result: best
            ? `${best.conversations} (delay p95 ${fmt(percentile(best.delays, 95), 1)} ms, ` +
              `${fmt(perConversation, 2)} % of a core each)`
            : 'none met the target',
          detail:
            `ideal end of turn (the VAD's end of speech in audio time + 0.5 s endpointing, on ` +
            `the input's clock) → first agent frame to captureFrame < ` +
            `${DELAY_TARGET_MS} ms at p95, CPU <= 100 %, no frame dropped; N grown by 1.5x until ` +
            `a miss: ${steps.map(describe).join('; ')}`,
        });
      }
    } finally {
      await silero.close();
    }
    return rows;
  },
};
