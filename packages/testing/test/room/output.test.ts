import { voice } from '@agents/core';
import { AudioFrame, AudioSource, AudioStream } from '@livekit/rtc-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeRoom, scaledMs } from '../../src/index.js';
import { activeResources, expectNothingLeftRunning, nextEvent, tone } from './fake-room-helpers.js';

const RATE = 24000;
const FADE = (20 * RATE) / 1000;
/** The native side of rtc-node plays in 10 ms ticks: the model knows the time, not the tick. */
const TICK = (10 * RATE) / 1000;
/**
 * How far the heard fade may sit from the model's playhead. Measured on a
 * quiet machine it is within ±8 ms (ROOM_OUTPUT_MEASURE=1 prints it); a busy
 * one delays the native source's ticks, so the tests allow 150 ms.
 */
const PLAYHEAD_SLACK = 15 * TICK;

let room: FakeRoom | undefined;
let output: voice.RoomAudioOutput | undefined;
let ear: Ear | undefined;
afterEach(async () => {
  await ear?.stop();
  await output?.close();
  await room?.dispose();
  ear = undefined;
  output = undefined;
  room = undefined;
});

/** How far the playhead model is from what was heard; printed with ROOM_OUTPUT_MEASURE=1. */
function measured(line: string): void {
  if (process.env.ROOM_OUTPUT_MEASURE) process.stderr.write(`${line}\n`);
}

/** A sweep from 200 Hz up: no two stretches of it alike, so a piece of it says where it came from. */
function chirp(seconds: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    out[i] = Math.round(amplitude * Math.sin(2 * Math.PI * (200 * t + 400 * t * t)));
  }
  return out;
}

/** A remote user hearing the agent: everything its AudioStream yields, in order. */
class Ear {
  readonly samples: number[] = [];
  /** When each frame came (`performance.now()`), by the index of its first sample. */
  readonly arrivals = new Map<number, number>();
  readonly #reader: ReadableStreamDefaultReader<AudioFrame>;
  readonly #reading: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(stream: AudioStream) {
    const reader = stream.getReader();
    this.#reader = reader;
    this.#reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.arrivals.set(this.samples.length, performance.now());
        for (const sample of value.data) this.samples.push(sample);
        for (const wake of this.#waiters.splice(0)) wake();
      }
    })().catch(() => {});
  }

  /** Index of the first non-zero sample at or after `from` (-1: none yet). */
  firstSound(from = 0): number {
    for (let i = from; i < this.samples.length; i++) if (this.samples[i] !== 0) return i;
    return -1;
  }

  /**
   * Waits until `test` holds (checked after each frame heard), at most `ms` (scaled). The
   * fake source plays on timers, which a starved process runs late: what the playhead model
   * calls played may reach the ear seconds later, so the default is generous.
   */
  async until(test: () => boolean, what: string, ms = 30_000): Promise<void> {
    const deadline = performance.now() + scaledMs(ms);
    while (!test()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`not heard within ${scaledMs(ms)} ms: ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Waits until `count` samples of sound (not silence) have been heard from
   * `from` on: the audio played has come through, gaps and all (a busy
   * machine delivers it late, and a starved source inserts silence).
   */
  async soundAfter(from: number, count: number): Promise<void> {
    let heard = 0;
    let index = from;
    await this.until(() => {
      for (; index < this.samples.length; index++) if (this.samples[index] !== 0) heard++;
      return heard >= count;
    }, `${count} samples of sound after ${from}`);
  }

  /** Waits for `count` samples of silence in a row after `from`; returns where it began. */
  async silenceAfter(from: number, count: number): Promise<number> {
    let start = -1;
    await this.until(() => {
      for (let i = Math.max(from, start < 0 ? from : start); i < this.samples.length; i++) {
        if (this.samples[i] !== 0) start = -1;
        else if (start < 0) start = i;
        if (start >= 0 && i - start + 1 >= count) return true;
      }
      return false;
    }, `${count} samples of silence after ${from}`);
    return start;
  }

  async stop(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    await this.#reading;
  }
}

/** Sends `pcm` as 20 ms frames, then ends the segment. */
async function speak(out: voice.RoomAudioOutput, pcm: Int16Array): Promise<string> {
  const step = (20 * RATE) / 1000;
  for (let i = 0; i < pcm.length; i += step) {
    const part = pcm.slice(i, i + step);
    await out.captureFrame(new AudioFrame(part, RATE, 1, part.length));
  }
  return out.flush();
}

/** Largest difference between `heard` from `at` and `expected`. */
function maxDiff(heard: number[], at: number, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs((heard[at + i] ?? 0) - expected[i]!));
  }
  return worst;
}

/**
 * Follows `expected` through `heard` from `at`, 10 ms block by block, and
 * asserts it was all heard, in order. A busy machine starves rtc-node's
 * native source now and then, which then plays a few ms of silence in the
 * middle: each block may start up to half a second after the previous one ended (or
 * 20 ms before it, samples heard twice around a fade). Such glitches lose a
 * block here and there, so at most five in a row and a tenth of them in all
 * may be missing; losing the source's queue on a pause (200 ms: twenty
 * blocks in a row) fails. Returns where the audio ended.
 */
function expectHeard(heard: number[], at: number, expected: Int16Array): number {
  let cursor = at;
  let missing = 0;
  let run = 0;
  let longestRun = 0;
  for (let from = 0; from < expected.length; from += TICK) {
    const block = expected.subarray(from, Math.min(expected.length, from + TICK));
    let found = -1;
    for (let shift = 0; shift <= RATE / 2 && found < 0; shift++) {
      if (maxDiff(heard, cursor + shift, block) <= 1) found = cursor + shift;
    }
    for (let shift = 1; shift <= 2 * TICK && found < 0; shift++) {
      if (maxDiff(heard, cursor - shift, block) <= 1) found = cursor - shift;
    }
    if (found < 0) missing++;
    run = found < 0 ? run + 1 : 0;
    longestRun = Math.max(longestRun, run);
    cursor = (found < 0 ? cursor : found) + block.length;
  }
  const blocks = Math.ceil(expected.length / TICK);
  expect(longestRun, `10 ms blocks missing in a row, of ${blocks}`).toBeLessThanOrEqual(5);
  expect(missing, `10 ms blocks not heard of ${blocks}`).toBeLessThanOrEqual(
    Math.max(2, Math.floor(blocks / 10)),
  );
  return cursor;
}

/** The fade-out a pause or clear plays: a faded copy of the audio from `position` on. */
function fadeOut(segment: Int16Array, position: number): Int16Array {
  const out = new Int16Array(FADE);
  for (let i = 0; i < FADE; i++) {
    out[i] = Math.round((segment[position + i] ?? 0) * (1 - (i + 1) / FADE));
  }
  return out;
}

/**
 * Where in the heard audio the fade-out begins, relative to where the model
 * put it (`start + position`): + means more was heard than the model
 * counted as played (that much repeats on resume), − that much is lost.
 */
function fadeOffset(heard: number[], start: number, segment: Int16Array, position: number): number {
  const fade = fadeOut(segment, position).subarray(0, FADE / 2);
  let best = { offset: 0, error: Number.POSITIVE_INFINITY };
  for (let offset = -20 * TICK; offset <= 20 * TICK; offset++) {
    const error = maxDiff(heard, start + position + offset, fade);
    if (error < best.error) best = { offset, error };
  }
  expect(best.error).toBeLessThanOrEqual(1);
  return best.offset;
}

async function publish(options: voice.RoomAudioOutputOptions = {}): Promise<voice.RoomAudioOutput> {
  room ??= new FakeRoom();
  // A one-second source queue: on a busy machine an event loop stalled past a
  // 200 ms queue lets the source run dry (silence in the middle), which would
  // hide what these tests look at: the take-back, the fades and the joins.
  output = await voice.RoomAudioOutput.publish(room, { queueSizeMs: 1000, ...options });
  return output;
}

// Each test plays seconds of audio in real time; the ear's waits (30 s) need room on a starved machine.
describe('RoomAudioOutput', { timeout: scaledMs(60_000) }, () => {
  it('publishes a microphone track the remote user hears: a segment comes out whole, and its playout is reported once heard', async () => {
    const out = await publish();
    expect(out.trackSid).toMatch(/^TR_/);
    ear = new Ear(room!.listenToAgent({ sampleRate: RATE }));
    const segment = chirp(1);
    const started = nextEvent(out as never, 'playback_started', 10_000);
    const id = await speak(out, segment);
    const [{ segmentId, at }] = (await started) as [{ segmentId: string; at: number }];
    expect(segmentId).toBe(id);
    const finished = await out.waitForPlayout(id);
    expect(finished).toEqual({ segmentId: id, playbackPosition: 1, interrupted: false });
    expect(out.playedSeconds).toBe(1);

    // By the time the playout is reported the listener has (nearly) all of it.
    const start = ear.firstSound() - 1;
    const firstFrame = [...ear.arrivals.keys()].filter((index) => index <= start).at(-1)!;
    measured(
      `[measure] playback_started at: ${(ear.arrivals.get(firstFrame)! - at).toFixed(1)} ms before its frame reached the listener`,
    );
    const heardAtReport = ear.samples.length - start;
    measured(
      `[measure] heard at waitForPlayout: ${heardAtReport - segment.length} samples past the end`,
    );
    // Not resolved when the audio was handed to the source (the source holds up to a second
    // here): most of it had reached the listener, who gets frames late on a busy machine.
    expect(heardAtReport).toBeGreaterThan(segment.length / 2);
    await ear.soundAfter(start, segment.length - 2 * TICK);
    const end = expectHeard(ear.samples, start, segment);
    expect(maxDiff(ear.samples, end, new Int16Array(TICK))).toBe(0);
  });

  it('clearBuffer fades out and drops the rest: the segment finishes interrupted where it was heard, then silence', async () => {
    const out = await publish({ bufferMs: 3000 });
    ear = new Ear(room!.listenToAgent({ sampleRate: RATE }));
    const segment = chirp(2);
    const id = await speak(out, segment);
    await ear.until(
      () => ear!.firstSound() >= 0 && ear!.samples.length > ear!.firstSound() + RATE / 2,
      'half a second',
    );
    out.clearBuffer();
    const finished = await out.waitForPlayout(id);
    expect(finished.interrupted).toBe(true);
    expect(finished.playbackPosition).toBeGreaterThan(0.4);
    expect(finished.playbackPosition).toBeLessThan(2);

    const start = ear.firstSound() - 1;
    const position = Math.round(finished.playbackPosition * RATE);
    await ear.until(
      () => ear!.samples.length > start + position + 10 * FADE,
      'what follows the clear',
    );
    const offset = fadeOffset(ear.samples, start, segment, position);
    measured(
      `[measure] clear: fade-out heard ${offset} samples (${(offset / RATE) * 1000} ms) from the model's playhead`,
    );
    expect(Math.abs(offset)).toBeLessThanOrEqual(PLAYHEAD_SLACK);
    // What played before is the segment; after the fade, nothing.
    expectHeard(ear.samples, start, segment.subarray(0, position + offset));
    const afterFade = start + position + offset + FADE;
    expect(maxDiff(ear.samples, afterFade, new Int16Array(ear.samples.length - afterFade))).toBe(0);
  });

  it('pause keeps the unplayed audio and resume plays on from that sample: heard = the segment, modulo the fades', async () => {
    const out = await publish({ bufferMs: 3000 });
    ear = new Ear(room!.listenToAgent({ sampleRate: RATE }));
    const segment = chirp(2);
    const finishedEvents: voice.PlaybackFinished[] = [];
    out.on('playback_finished', (event) => finishedEvents.push(event));
    const id = await speak(out, segment);
    await ear.until(
      () => ear!.firstSound() >= 0 && ear!.samples.length > ear!.firstSound() + RATE / 2,
      'half a second',
    );
    out.pause();
    const pausedAt = Math.round(out.playedSeconds * RATE);
    const start = ear.firstSound() - 1;
    // The pause is heard as a fade to silence, which lasts.
    const silence = await ear.silenceAfter(start + pausedAt - 4 * TICK, 10 * TICK);
    expect(finishedEvents).toEqual([]);
    expect(Math.round(out.playedSeconds * RATE)).toBe(pausedAt);
    out.resume();
    const finished = await out.waitForPlayout(id);
    expect(finished).toEqual({ segmentId: id, playbackPosition: 2, interrupted: false });

    const offset = fadeOffset(ear.samples, start, segment, pausedAt);
    measured(
      `[measure] pause: fade-out heard ${offset} samples (${(offset / RATE) * 1000} ms) from the model's playhead`,
    );
    expect(Math.abs(offset)).toBeLessThanOrEqual(PLAYHEAD_SLACK);
    expectHeard(ear.samples, start, segment.subarray(0, pausedAt + offset));
    // After the silence: a fade-in from the very sample the pause stopped at, then the rest, whole.
    // The fade-in starts at zero: where it began is where the rest after it matches.
    const firstSound = ear.firstSound(silence + 10 * TICK);
    const probe = segment.subarray(pausedAt + FADE, pausedAt + FADE + TICK);
    let resumedAt = -1;
    for (let at = firstSound - FADE; at <= firstSound && resumedAt < 0; at++) {
      if (maxDiff(ear.samples, at + FADE, probe) <= 1) resumedAt = at;
    }
    expect(resumedAt).toBeGreaterThan(silence);
    await ear.soundAfter(start, segment.length - 4 * TICK);
    const rest = segment.subarray(pausedAt + FADE);
    expectHeard(ear.samples, resumedAt + FADE, rest);
    const fadeIn = segment
      .subarray(pausedAt, pausedAt + FADE)
      .map((v, i) => Math.round(v * (i / FADE)));
    expect(maxDiff(ear.samples, resumedAt, fadeIn)).toBeLessThanOrEqual(1);
  });

  it('a resume right after the pause crossfades: the audio plays on from the paused sample, nothing lost', async () => {
    const out = await publish({ bufferMs: 3000 });
    ear = new Ear(room!.listenToAgent({ sampleRate: RATE }));
    const segment = chirp(2);
    const id = await speak(out, segment);
    await ear.until(
      () => ear!.firstSound() >= 0 && ear!.samples.length > ear!.firstSound() + RATE / 2,
      'half a second',
    );
    out.pause();
    const pausedAt = Math.round(out.playedSeconds * RATE);
    out.resume();
    expect(await out.waitForPlayout(id)).toEqual({
      segmentId: id,
      playbackPosition: 2,
      interrupted: false,
    });
    const start = ear.firstSound() - 1;
    // Past the crossfade the segment goes on whole, shifted only by what the source had played
    // beyond the model's playhead (heard twice, under the fades).
    const probe = segment.subarray(pausedAt + FADE, pausedAt + FADE + TICK);
    let shift: number | undefined;
    for (let offset = -20 * TICK; offset <= 20 * TICK && shift === undefined; offset++) {
      if (maxDiff(ear.samples, start + pausedAt + FADE + offset, probe) <= 1) shift = offset;
    }
    measured(`[measure] pause+resume at once: ${shift} samples heard twice`);
    expect(shift).toBeDefined();
    expect(Math.abs(shift!)).toBeLessThanOrEqual(PLAYHEAD_SLACK);
    const restAt = start + pausedAt + FADE + shift!;
    await ear.soundAfter(start, segment.length - 4 * TICK);
    expectHeard(ear.samples, restAt, segment.subarray(pausedAt + FADE));
  });

  it('a clear while paused finishes the segment interrupted where the pause stopped it, and nothing more is heard', async () => {
    const out = await publish({ bufferMs: 3000 });
    ear = new Ear(room!.listenToAgent({ sampleRate: RATE }));
    const segment = chirp(2);
    const id = await speak(out, segment);
    await ear.until(
      () => ear!.firstSound() >= 0 && ear!.samples.length > ear!.firstSound() + RATE / 2,
      'half a second',
    );
    out.pause();
    const pausedAt = out.playedSeconds;
    const start = ear.firstSound() - 1;
    const silence = await ear.silenceAfter(
      start + Math.round(pausedAt * RATE) - 4 * TICK,
      10 * TICK,
    );
    out.clearBuffer();
    expect(await out.waitForPlayout(id)).toEqual({
      segmentId: id,
      playbackPosition: pausedAt,
      interrupted: true,
    });
    expect(out.paused).toBe(false);
    // A new segment plays at once: the output is not left paused.
    const next = await speak(out, chirp(0.2));
    expect((await out.waitForPlayout(next)).interrupted).toBe(false);
    const resumed = ear.firstSound(silence);
    await ear.soundAfter(resumed, 0.2 * RATE - 2 * TICK);
    expectHeard(ear.samples, resumed - 1 + TICK, chirp(0.2).subarray(TICK));
  });

  it('a segment finishes even when its last frame ends between two reads of the clock in one tick (a busy machine preempts the output there)', async () => {
    room = new FakeRoom({ agentSubscribed: true });
    const out = await publish();
    // The first clock read of each turn of the event loop comes 50 ms late, as when the process
    // is descheduled right after it: the playhead is moved with that read, and the next timer is
    // set with a later one, past the end of the last frame. Nothing else wakes the output here.
    const now = performance.now.bind(performance);
    let fresh = true;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => {
      if (!fresh) return now();
      fresh = false;
      queueMicrotask(() => {
        fresh = true;
      });
      return now() - 50;
    });
    try {
      const id = await speak(out, chirp(0.2));
      expect(await within(out.waitForPlayout(id), 'the playout of the segment')).toEqual({
        segmentId: id,
        playbackPosition: 0.2,
        interrupted: false,
      });
    } finally {
      clock.mockRestore();
    }
  });

  it('a capture rtc-node never confirms does not stall the output: after its deadline the rest plays', async () => {
    room = new FakeRoom({ agentSubscribed: true });
    const out = await publish();
    // The first frame goes into the source, but its callback is lost.
    const original = AudioSource.prototype.captureFrame;
    const capture = vi
      .spyOn(AudioSource.prototype, 'captureFrame')
      .mockImplementationOnce(function (this: AudioSource, frame: AudioFrame) {
        original.call(this, frame).catch(() => {});
        return new Promise<void>(() => {});
      });
    try {
      // Half a second goes in more than one frame: the second waits for the first's callback.
      const id = await speak(out, chirp(0.5));
      expect(await within(out.waitForPlayout(id), 'the playout past the lost callback')).toEqual({
        segmentId: id,
        playbackPosition: 0.5,
        interrupted: false,
      });
      expect(capture.mock.calls.length).toBeGreaterThan(1);
    } finally {
      capture.mockRestore();
    }
  });

  it('setVolume ramps the gain of what is handed to the track: quieter, without a click', async () => {
    // The gain applies as audio is handed to the source: its queue is the delay.
    const out = await publish({ bufferMs: 4000, queueSizeMs: 200 });
    ear = new Ear(room!.listenToAgent({ sampleRate: RATE }));
    const id = await speak(out, tone(3, RATE, 8000, 300));
    await ear.until(
      () => ear!.firstSound() >= 0 && ear!.samples.length > ear!.firstSound() + RATE / 4,
      'a quarter second',
    );
    out.setVolume(0.25);
    await out.waitForPlayout(id);
    const start = ear.firstSound();
    await ear.until(() => ear!.samples.length >= start + 3 * RATE, 'the whole tone');
    const heard = ear.samples.slice(start, start + 3 * RATE);
    const peak = (from: number, to: number) => Math.max(...heard.slice(from, to).map(Math.abs));
    expect(peak(0, RATE / 5)).toBeGreaterThan(7900);
    expect(peak(2.6 * RATE, 3 * RATE)).toBeGreaterThan(1950);
    expect(peak(2.6 * RATE, 3 * RATE)).toBeLessThan(2050);
    // A 300 Hz sine at 8000 moves at most ~630 per sample; a step in gain would jump by thousands.
    // (Pairs touching an exact zero are left out: a source starved on a busy machine plays
    // a few ms of silence, and its edges are not the gain's doing.)
    let jump = 0;
    for (let i = 1; i < heard.length; i++) {
      if (heard[i] === 0 || heard[i - 1] === 0) continue;
      jump = Math.max(jump, Math.abs(heard[i]! - heard[i - 1]!));
    }
    expect(jump).toBeLessThan(700);
  });

  it('reports the level heard for a timeline: chunk by chunk as the playhead passes, at the gain applied, and only up to where a clear cut the audio', async () => {
    const out = await publish({ bufferMs: 4000, queueSizeMs: 200 });
    ear = new Ear(room!.listenToAgent({ sampleRate: RATE }));
    const levels: { at: number; ms: number; rms: number }[] = [];
    let reportedMs = 0;
    let wake: (() => void) | undefined;
    out.setLevelListener((at, ms, rms) => {
      levels.push({ at, ms, rms });
      reportedMs += ms;
      wake?.();
    });
    const id = await speak(out, tone(3, RATE, 8000, 300));
    await ear.until(
      () => ear!.firstSound() >= 0 && ear!.samples.length > ear!.firstSound() + RATE / 2,
      'half a second',
    );
    out.setVolume(0.25);
    await ear.until(
      () => ear!.samples.length > ear!.firstSound() + RATE * 1.5,
      'a second and a half',
    );
    out.clearBuffer();
    const finished = await out.waitForPlayout(id);
    expect(finished.interrupted).toBe(true);
    const playedMs = finished.playbackPosition * 1000;
    // The fade-out after the clear (20 ms) is heard too: wait until it has been reported.
    const deadline = performance.now() + scaledMs(10_000);
    while (reportedMs < playedMs + 10) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`levels of ${reportedMs} ms reported, ${playedMs} ms played`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    // What was reported is what played: the segment up to the cut, and the fade.
    expect(reportedMs).toBeGreaterThanOrEqual(playedMs + 10);
    expect(reportedMs).toBeLessThanOrEqual(playedMs + 40);
    for (let i = 1; i < levels.length; i++) {
      expect(levels[i]!.at).toBeGreaterThanOrEqual(levels[i - 1]!.at + levels[i - 1]!.ms - 1e-6);
    }
    // A sine at 8000 has RMS 8000/√2 of full scale; at gain 0.25 a quarter of it.
    const full = 8000 / Math.SQRT2 / 32768;
    const near = (value: number, target: number) => Math.abs(value - target) < target * 0.05;
    const firstQuiet = levels.findIndex((l) => near(l.rms, full / 4));
    expect(levels.slice(2, 40).every((l) => near(l.rms, full))).toBe(true);
    expect(firstQuiet).toBeGreaterThan(40);
    expect(levels.slice(firstQuiet).some((l) => l.rms > full * 0.3)).toBe(false);
    out.setLevelListener(undefined);
  });

  it('the first audio waits for a subscriber, then plays', async () => {
    room = new FakeRoom();
    const out = await publish({ subscriberTimeoutMs: scaledMs(60_000) });
    // Hears the track without subscribing as a remote user would.
    ear = new Ear(
      new AudioStream(room.agentTrack()!, { sampleRate: RATE, numChannels: 1, frameSizeMs: 10 }),
    );
    const started: unknown[] = [];
    out.on('playback_started', (event) => started.push(event));
    const id = await speak(out, chirp(0.3));
    // A fifth of a second of the track goes by in silence: nobody listens yet.
    await ear.until(() => ear!.samples.length >= RATE / 5, 'a fifth of a second');
    expect(ear.firstSound()).toBe(-1);
    expect(started).toEqual([]);
    room.subscribeAgent();
    expect(await out.waitForPlayout(id)).toEqual({
      segmentId: id,
      playbackPosition: 0.3,
      interrupted: false,
    });
    expect(started).toHaveLength(1);
    expect(ear.firstSound()).toBeGreaterThan(0);
  });

  it('captureFrame waits while bufferMs of audio is held, and goes on as it plays', async () => {
    room = new FakeRoom();
    const out = await publish({ bufferMs: 100, subscriberTimeoutMs: scaledMs(60_000) });
    ear = new Ear(
      new AudioStream(room.agentTrack()!, { sampleRate: RATE, numChannels: 1, frameSizeMs: 10 }),
    );
    const pcm = chirp(0.1);
    await out.captureFrame(new AudioFrame(pcm, RATE, 1, pcm.length));
    let taken = false;
    const more = out.captureFrame(new AudioFrame(new Int16Array(TICK), RATE, 1, TICK)).then(() => {
      taken = true;
    });
    // Nobody listens, so nothing plays: a fifth of a second goes by with the producer held.
    await ear.until(() => ear!.samples.length >= RATE / 5, 'a fifth of a second');
    expect(taken).toBe(false);
    room.subscribeAgent();
    await more;
    expect(out.flush()).toMatch(/^seg_/);
  });

  it('plays anyway once nobody subscribed by subscriberTimeoutMs', async () => {
    room = new FakeRoom();
    const out = await publish({ subscriberTimeoutMs: 50 });
    ear = new Ear(
      new AudioStream(room.agentTrack()!, { sampleRate: RATE, numChannels: 1, frameSizeMs: 10 }),
    );
    const id = await speak(out, chirp(0.3));
    expect(await out.waitForPlayout(id)).toEqual({
      segmentId: id,
      playbackPosition: 0.3,
      interrupted: false,
    });
    await ear.until(() => ear!.firstSound() >= 0, 'the segment');
  });

  it('a publish that fails or hangs rejects with an error that says what to fix, and leaves no track behind', async () => {
    room = new FakeRoom();
    const participant = room.localParticipant;
    const original = participant.publishTrack.bind(participant);
    participant.publishTrack = async () => {
      throw new Error('insufficient permissions');
    };
    await expect(voice.RoomAudioOutput.publish(room)).rejects.toThrow(
      /publishing the agent's audio track "agent-voice" failed: insufficient permissions .*canPublish/,
    );
    let late: (() => void) | undefined;
    participant.publishTrack = (track, options) =>
      new Promise((resolve) => {
        late = () => resolve(original(track, options));
      });
    await expect(voice.RoomAudioOutput.publish(room, { publishTimeoutMs: 50 })).rejects.toThrow(
      /took longer than 50 ms.*publishTimeoutMs/,
    );
    // Published after all, too late: taken back.
    late!();
    await until(() => participant.unpublished.length === 1, 'the late publication unpublished');
    expect(participant.trackPublications.size).toBe(0);
    await expect(voice.RoomAudioOutput.publish(room, { queueSizeMs: 10 })).rejects.toThrow(
      /queueSizeMs is 10: give at least 40 ms/,
    );
    room.close();
    await expect(voice.RoomAudioOutput.publish(room)).rejects.toThrow(/room is not connected/);
  });

  it('close stops playing, unpublishes (bounded), closes the track and leaves nothing running', async () => {
    const before = activeResources();
    room = new FakeRoom({ agentSubscribed: true });
    const out = await publish({ bufferMs: 3000, publishTimeoutMs: 100 });
    const sid = out.trackSid!;
    ear = new Ear(room.listenToAgent({ sampleRate: RATE }));
    const id = await speak(out, chirp(1));
    await ear.until(() => ear!.firstSound() >= 0, 'the segment');
    // The unpublish never answers: close must not wait for it.
    room.localParticipant.unpublishTrack = () => new Promise(() => {});
    await Promise.all([out.close(), out.close()]);
    expect((await out.waitForPlayout(id)).interrupted).toBe(true);
    await expect(
      out.captureFrame(new AudioFrame(new Int16Array(240), RATE, 1, 240)),
    ).rejects.toThrow(/closed/);
    expect(sid).toMatch(/^TR_/);
    await ear.stop();
    ear = undefined;
    await room.dispose();
    room = undefined;
    output = undefined;
    await expectNothingLeftRunning(before);
  });
});

async function until(test: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + scaledMs(ms);
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`not within ${scaledMs(ms)} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not within ${scaledMs(ms)} ms: ${what}`)),
      scaledMs(ms),
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
