// Cost of the Silero VAD: model load, inference speed against real time, the CPU one live
// stream takes, and how many live streams one core carries. Input is what a LiveKit room
// delivers (48 kHz, 10 ms frames), so resampling is part of every figure except the first.
// Then the same audio through @livekit/agents-plugin-silero, side by side (suites/vad-peer.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { audio, utils, type vad } from '@agents/core';
import type { VAD } from '@agents/plugin-silero';
import type { AudioFrame } from '@livekit/rtc-node';
import { fmt, median, percentile, type Row, type Suite, timeRuns } from '../measure.js';
import { peerRows } from './vad-peer.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
export const fixture = (name: string) =>
  audio.decodeWav(
    readFileSync(new URL(`../../plugins/silero/test/fixtures/${name}.wav`, import.meta.url)),
  );
const WINDOW_MS = 32;

/** A result against its target, marked when it misses. */
const versus = (text: string, met: boolean, target: string) =>
  `${met ? '' : 'MISS: '}${text} (target ${target})`;

/** `frame` cut into 10 ms frames, repeated until they make `seconds` of audio. */
export function tenMsFrames(frame: AudioFrame, seconds: number): AudioFrame[] {
  const size = frame.sampleRate / 100;
  const clip: AudioFrame[] = [];
  for (let at = 0; at + size <= frame.samplesPerChannel; at += size) {
    const data = frame.data.slice(at * frame.channels, (at + size) * frame.channels);
    clip.push(
      new (frame.constructor as typeof AudioFrame)(data, frame.sampleRate, frame.channels, size),
    );
  }
  return Array.from({ length: seconds * 100 }, (_, i) => clip[i % clip.length]!);
}

/** Pushes as fast as the stream takes them (never more than 0.5 s ahead of its events). */
async function runFlatOut(stream: vad.VADStream, frames: AudioFrame[]): Promise<void> {
  let pushed = 0;
  let seen = 0;
  for (const frame of frames) {
    stream.pushFrame(frame);
    pushed += audio.frameDuration(frame);
    while (pushed - seen > 0.5) seen = (await stream.next()).value?.timestamp ?? pushed;
  }
  stream.endInput();
  while (!(await stream.next()).done) {}
}

/**
 * Imported when the suite runs, not with this module: vad-live.ts imports its helpers and
 * loads another build of the plugin (SILERO_DIST), and two copies cannot both register.
 */
const plugin = () => import('@agents/plugin-silero');

async function loadTime(): Promise<Row[]> {
  const { VAD } = await plugin();
  const warm = await timeRuns(async () => (await VAD.load()).close(), { runs: 7, warmup: 1 });
  // A fresh process pays for onnxruntime's native library on top.
  const script = `const t = performance.now(); const { VAD } = await import('@agents/plugin-silero');
    const vad = await VAD.load(); console.log(performance.now() - t); await vad.close();`;
  const fresh = Array.from({ length: 5 }, () =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: benchDir,
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'silent' },
      }),
    ),
  );
  return [
    {
      name: 'VAD.load(), fresh process',
      result: `${fmt(median(fresh), 0)} ms`,
      detail:
        'import the plugin + onnxruntime, read and sha256 the model, session, warm-up run; median of 5',
    },
    {
      name: 'VAD.load(), again in the same process',
      result: `${fmt(median(warm), 0)} ms`,
      detail: 'read + sha256 + session + warm-up run, median of 7',
    },
  ];
}

async function realTimeFactor(silero: VAD): Promise<Row[]> {
  const cases = [
    { label: '16 kHz mono (no resampling)', frames: tenMsFrames(fixture('speech-16k-mono'), 60) },
    {
      label: '48 kHz mono 10 ms frames',
      frames: tenMsFrames(audio.convertChannels(fixture('speech-48k-stereo'), 1), 60),
    },
  ];
  const rows: Row[] = [];
  const audioMs = 60_000;
  for (const { label, frames } of cases) {
    const cpuMs: number[] = [];
    const wallMs = await timeRuns(
      async () => {
        const before = process.cpuUsage();
        await runFlatOut(silero.stream(), frames);
        const used = process.cpuUsage(before);
        cpuMs.push((used.user + used.system) / 1000);
      },
      { runs: 5, warmup: 1 },
    );
    const cpu = median(cpuMs.slice(1));
    rows.push({
      name: `real-time factor, one stream, ${label}`,
      result: versus(
        `${fmt(cpu / audioMs, 4)} (CPU), ${fmt(median(wallMs) / audioMs, 4)} (wall)`,
        cpu / audioMs <= 0.003,
        '<= 0.003',
      ),
      detail:
        `60 s pushed flat out; CPU time (all threads) and wall time over audio time, median ` +
        `of 5; ${fmt(cpu / (audioMs / WINDOW_MS), 3)} ms CPU per 32 ms window`,
    });
  }
  // A stream's windows depend on each other (the recurrent state), so one stream cannot batch;
  // many streams can: the same 16 kHz audio through 32 streams at once.
  const together = 32;
  const frames = cases[0]!.frames;
  const cpuMs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const before = process.cpuUsage();
    await Promise.all(Array.from({ length: together }, () => runFlatOut(silero.stream(), frames)));
    const used = process.cpuUsage(before);
    cpuMs.push((used.user + used.system) / 1000);
  }
  const perStream = median(cpuMs) / together / audioMs;
  rows.push({
    name: `real-time factor per stream, ${together} streams at once, 16 kHz mono`,
    result: versus(`${fmt(perStream, 4)} (CPU)`, perStream <= 0.003, '<= 0.003'),
    detail:
      `60 s each pushed flat out, windows batched across the streams; CPU over audio time ` +
      `per stream, median of 3; ${fmt(perStream * WINDOW_MS, 3)} ms CPU per 32 ms window`,
  });
  return rows;
}

/**
 * Feeds `streams` live streams a 10 ms frame each every 10 ms of wall time, as a room does,
 * for as long as `frames` last. Returns the CPU used (fraction of one core) and how late events came: the
 * time from pushing the frame that completed a window to reading that window's event.
 */
export async function realTimeLoad(
  silero: VAD,
  streams: number,
  frames: AudioFrame[],
): Promise<{ cpu: number; lateMs: number[] }> {
  const open = Array.from({ length: streams }, () => silero.stream());
  const pushedAt: number[] = [];
  const lateMs: number[] = [];
  const readers = open.map(async (stream, s) => {
    for await (const event of stream) {
      // Only stream 0 is timed, so that bookkeeping does not grow with the stream count.
      if (s === 0 && event.type === 'inference_done') {
        const frame = Math.ceil(event.timestamp * 100 - 1e-6) - 1;
        lateMs.push(performance.now() - pushedAt[frame]!);
      }
    }
  });
  const start = performance.now();
  const before = process.cpuUsage();
  for (let i = 0; i < frames.length; i++) {
    const wait = start + i * 10 - performance.now();
    if (wait > 1) await utils.sleep(wait);
    pushedAt[i] = performance.now();
    for (const stream of open) stream.pushFrame(frames[i]!);
  }
  for (const stream of open) stream.endInput();
  await Promise.all(readers);
  const used = process.cpuUsage(before);
  const wall = performance.now() - start;
  return { cpu: (used.user + used.system) / 1000 / wall, lateMs };
}

async function liveStreams(silero: VAD): Promise<Row[]> {
  const speech = (seconds: number) =>
    tenMsFrames(audio.convertChannels(fixture('speech-48k-stereo'), 1), seconds);
  const one = await realTimeLoad(silero, 1, speech(20));
  const idle = await realTimeLoad(silero, 0, speech(5));
  const many = 200;
  const loaded = await realTimeLoad(silero, many, speech(10));
  const perStream = (loaded.cpu - idle.cpu) / many;
  const p99 = percentile(loaded.lateMs, 99);
  return [
    {
      name: 'CPU of one live stream',
      result: versus(
        `${fmt(one.cpu * 100)} % of a core, ${fmt((one.cpu - idle.cpu) * 100)} % above the pacing loop`,
        one.cpu <= 0.03,
        '<= 3 %',
      ),
      detail:
        `48 kHz mono 10 ms frames pushed every 10 ms for 20 s, process.cpuUsage over wall ` +
        `time; the pacing loop alone takes ${fmt(idle.cpu * 100)} %; events late by ` +
        `${fmt(median(one.lateMs))} ms median (the window, the resampler's delay, inference)`,
    },
    {
      name: 'live streams one core sustains',
      result: versus(
        `${fmt(1 / perStream, 0)}, events late by ${fmt(p99)} ms p99`,
        1 / perStream >= 200 && p99 < 50,
        '>= 200, < 50 ms p99',
      ),
      detail:
        `${many} live streams for 10 s took ${fmt(loaded.cpu * 100)} % of a core ` +
        `(${fmt(perStream * 100, 2)} % each above the pacing loop; their windows batched into ` +
        `one session call per turn); stream 0's events late by ${fmt(median(loaded.lateMs))} ms ` +
        `median, ${fmt(p99)} ms p99, counted from the push of a window's last frame`,
    },
  ];
}

export const vadSuite: Suite = {
  name: 'vad',
  async run() {
    const rows = await loadTime();
    const silero = await (await plugin()).VAD.load();
    try {
      rows.push(...(await realTimeFactor(silero)), ...(await liveStreams(silero)));
    } finally {
      await silero.close();
    }
    // After ours is closed, so that no stream of ours runs beside the child processes.
    rows.push(...(await peerRows()));
    return rows;
  },
};
