import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWavFile, writeWavFile } from '../src/audio/index.js';
import { createConsoleIO, FileAudioInput, VirtualClock } from '../src/voice/io/index.js';

/** Mono 16-bit audio whose sample i is `value(i)`. */
function mono(rate: number, seconds: number, value: (i: number) => number): AudioFrame {
  const n = Math.round(rate * seconds);
  return new AudioFrame(
    Int16Array.from({ length: n }, (_, i) => value(i)),
    rate,
    1,
    n,
  );
}

interface Received {
  frame: AudioFrame;
  at: number;
}

/** Reads the input in the background, noting the clock time each frame arrived. */
function collect(input: FileAudioInput, clock: VirtualClock) {
  const received: Received[] = [];
  const done = (async () => {
    for await (const frame of input) received.push({ frame, at: clock.now() });
  })();
  return { received, done };
}

describe('FileAudioInput', () => {
  it('delivers 10 ms frames paced on the clock, each once its last sample was spoken', async () => {
    const clock = new VirtualClock();
    const input = new FileAudioInput(
      mono(16_000, 0.1, (i) => i),
      { clock, afterEnd: 'end' },
    );
    const { received, done } = collect(input, clock);
    await clock.advance(0);
    expect(received).toHaveLength(0);
    await clock.advance(50);
    expect(received.map((r) => r.at)).toEqual([10, 20, 30, 40, 50]);
    expect(received[2]!.frame.samplesPerChannel).toBe(160);
    expect(received[2]!.frame.data[0]).toBe(320);
    await clock.advance(50);
    await done;
    const samples = received.flatMap((r) => [...r.frame.data]);
    expect(samples).toEqual([...Array(1600).keys()]);
    await input.fileDone;
    expect(clock.pendingTimers).toBe(0);
  });

  it('turns any rate and channel count into mono frames of whole samples', async () => {
    const clock = new VirtualClock();
    const stereo = new AudioFrame(new Int16Array(22_050 * 2).fill(1000), 22_050, 2, 22_050);
    const input = new FileAudioInput(stereo, { clock, afterEnd: 'end' });
    expect([input.sampleRate, input.numChannels, input.duration]).toEqual([22_050, 1, 1]);
    const { received } = collect(input, clock);
    await clock.advance(40);
    // 22.05 samples per ms: frames alternate 220 and 221 samples, never drifting.
    expect(received.map((r) => r.frame.samplesPerChannel)).toEqual([220, 221, 220, 221]);
    expect(received.every((r) => r.frame.channels === 1)).toBe(true);
    await input.close();
  });

  it('keeps delivering silence after the file by default, until closed', async () => {
    const clock = new VirtualClock();
    const input = new FileAudioInput(
      mono(16_000, 0.02, () => 500),
      { clock },
    );
    const { received, done } = collect(input, clock);
    let fileDoneAt: number | undefined;
    void input.fileDone.then(() => {
      fileDoneAt = clock.now();
    });
    await clock.advance(100);
    expect(fileDoneAt).toBe(20);
    expect(received).toHaveLength(10);
    expect(received[2]!.frame.data.every((s) => s === 0)).toBe(true);
    expect(input.position).toBeCloseTo(0.1);
    await input.close();
    await done;
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps about the last second for a slow reader, dropping the oldest frames and counting them', async () => {
    const clock = new VirtualClock();
    const input = new FileAudioInput(
      mono(16_000, 1, (i) => Math.floor(i / 160)),
      {
        clock,
        queueMs: 100,
      },
    );
    input.start();
    await clock.advance(300);
    expect(input.droppedFrames).toBe(20);
    const iterator = input[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.data[0]).toBe(20);
    await input.close();
    expect((await iterator.next()).done).toBe(true);
  });
});

describe('FileIO recording', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'voice-io-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('puts the user on the left at their time and the agent on the right when it was played', async () => {
    const clock = new VirtualClock(5000);
    const inputPath = join(dir, 'user.wav');
    // 0.5 s of a 16 kHz tone: the user speaks from the start.
    await writeWavFile(
      inputPath,
      mono(16_000, 0.5, (i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000))),
    );
    const recording = join(dir, 'conversation.wav');
    const io = await createConsoleIO({ input: inputPath, output: recording, clock });
    io.input.start();
    await clock.advance(700);
    // The agent answers at 0.7 s with 0.3 s of audio at the output's rate.
    const agent = mono(24_000, 0.3, (i) => (i % 100) + 1);
    await io.output.captureFrame(agent);
    const segment = io.output.flush();
    await clock.advance(400);
    const finished = await io.output.waitForPlayout(segment);
    expect(finished).toEqual({ segmentId: segment, playbackPosition: 0.3, interrupted: false });
    await io.close();
    expect(clock.pendingTimers).toBe(0);

    const saved = await readWavFile(recording);
    expect([saved.sampleRate, saved.channels]).toEqual([24_000, 2]);
    const left = (from: number, to: number) => channel(saved, 0, from, to);
    const right = (from: number, to: number) => channel(saved, 1, from, to);
    // The user's tone fills 0–0.5 s on the left (resampled), then silence.
    expect(rms(left(480, 11_500))).toBeGreaterThan(5000);
    expect(rms(left(12_100, 24_000))).toBe(0);
    // The agent's samples, exactly, from sample 16 800 (0.7 s) on the right, and nothing before.
    expect(right(0, 16_800).every((s) => s === 0)).toBe(true);
    expect(right(16_800, 16_800 + 7200)).toEqual(agent.data);
    expect(right(16_800 + 7200, saved.samplesPerChannel).every((s) => s === 0)).toBe(true);
  });

  it('says what is wrong with an input that is not a WAV file', async () => {
    const notWav = join(dir, 'notes.wav');
    await writeFile(notWav, 'just some text, not audio');
    await expect(createConsoleIO({ input: notWav })).rejects.toThrow(/notes\.wav: not a WAV file/);
    await expect(createConsoleIO({ input: join(dir, 'missing.wav') })).rejects.toThrow(/ENOENT/);
  });
});

function channel(frame: AudioFrame, index: number, from: number, to: number): Int16Array {
  const out = new Int16Array(Math.max(0, to - from));
  for (let i = from; i < to; i++) out[i - from] = frame.data[i * frame.channels + index]!;
  return out;
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}
