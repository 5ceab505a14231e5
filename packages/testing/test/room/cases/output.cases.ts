// RoomAudioOutput's cases that hold on any room, written once against a
// RoomDriver: what a user hears is checked by its content and order (a chirp
// whose pitch says which part of it was heard), not by sample positions, so
// they hold over Opus and a real jitter buffer too. output.test.ts keeps the
// sample-exact checks of the playhead model, which need FakeRoom's lossless path.
import { voice } from '@agents/core';
import { AudioFrame, type AudioStream } from '@livekit/rtc-node';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledMs } from '../../../src/index.js';
import { type DriverKind, itNeeds, type RoomDriver } from '../drivers/driver.js';

const RATE = 24000;
/** 20 ms: long enough to count a 200 Hz tone's zero crossings. */
const BLOCK = RATE / 50;
/** How far from the playhead model the heard audio may be: a busy machine delays the native ticks. */
const SLACK_S = 0.15;

/** A sweep: its pitch at `t` seconds is 200 + 800 t Hz, so a piece of it says where it came from. */
function chirp(seconds: number): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    out[i] = Math.round(8000 * Math.sin(2 * Math.PI * (200 * t + 400 * t * t)));
  }
  return out;
}
/** Where in the chirp a pitch is, in seconds. */
const chirpAt = (hz: number) => (hz - 200) / 800;

/** One 20 ms block heard: loud enough to be the agent's voice, and where in the chirp it is. */
type Block = { sound: boolean; at: number };

/** A user hearing the agent: the audio as 20 ms blocks, in order. */
class Listener {
  readonly blocks: Block[] = [];
  #pending: number[] = [];
  readonly #reader: ReadableStreamDefaultReader<AudioFrame>;
  readonly #reading: Promise<void>;
  #wakers: (() => void)[] = [];

  constructor(stream: AudioStream) {
    const reader = stream.getReader();
    this.#reader = reader;
    this.#reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        for (const sample of value.data) this.#pending.push(sample);
        while (this.#pending.length >= BLOCK) this.#add(this.#pending.splice(0, BLOCK));
        for (const wake of this.#wakers.splice(0)) wake();
      }
    })().catch(() => {});
  }

  #add(samples: number[]): void {
    let sum = 0;
    const crossings: number[] = [];
    for (let i = 0; i < samples.length; i++) {
      sum += samples[i]! * samples[i]!;
      if (i > 0 && samples[i - 1]! < 0 !== samples[i]! < 0) crossings.push(i);
    }
    const rms = Math.sqrt(sum / samples.length);
    // Half-periods between the first and the last crossing: right also for a block only partly sounding.
    const span = crossings.length > 1 ? crossings.at(-1)! - crossings[0]! : 0;
    const hz = span > 0 ? ((crossings.length - 1) / 2) * (RATE / span) : 0;
    // Well above a jitter buffer's comfort noise, well below the chirp (rms 5657) and its fades' middle.
    this.blocks.push({ sound: rms > 1500, at: chirpAt(hz) });
  }

  /** Index of the first block of sound at or after `from` (-1: none yet). */
  firstSound(from = 0): number {
    return this.blocks.findIndex((b, i) => i >= from && b.sound);
  }

  soundBlocks(from = 0, to = this.blocks.length): Block[] {
    return this.blocks.slice(from, to).filter((b) => b.sound);
  }

  /** Waits until `test` holds (checked as blocks come), at most `ms` (scaled). */
  async until(test: () => boolean, what: string, ms = 15_000): Promise<void> {
    const deadline = performance.now() + scaledMs(ms);
    while (!test()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`not heard within ${scaledMs(ms)} ms: ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for `count` blocks without sound in a row after `from`; returns where they began. */
  async quietAfter(from: number, count: number): Promise<number> {
    let start = -1;
    await this.until(() => {
      let run = 0;
      for (let i = from; i < this.blocks.length; i++) {
        run = this.blocks[i]!.sound ? 0 : run + 1;
        if (run >= count) {
          start = i - count + 1;
          return true;
        }
      }
      return false;
    }, `${count} quiet blocks after block ${from}`);
    return start;
  }

  async stop(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    await this.#reading;
  }
}

/**
 * The blocks that read as the chirp played on: 20 ms further than a neighbour.
 * Not a fade's, nor what a real receiver's jitter buffer makes up when the
 * audio stops (packet-loss concealment), whose pitch reads off.
 */
function steady(blocks: Block[]): Block[] {
  const step = (a: Block | undefined, b: Block | undefined) =>
    a !== undefined && b !== undefined && Math.abs(b.at - a.at - 0.02) < 0.015;
  return blocks.filter((b, i) => step(blocks[i - 1], b) || step(b, blocks[i + 1]));
}

/** The chirp was heard forward: no steady block more than 40 ms behind the one before (a replay would be). */
function expectInOrder(blocks: Block[]): void {
  const played = steady(blocks);
  const back = played.findIndex((b, i) => i > 0 && b.at < played[i - 1]!.at - 0.04);
  expect(back, `heard out of order at ${played[back]?.at.toFixed(3)} s of the chirp`).toBe(-1);
}

async function speak(out: voice.RoomAudioOutput, pcm: Int16Array): Promise<string> {
  for (let i = 0; i < pcm.length; i += BLOCK) {
    const part = pcm.slice(i, i + BLOCK);
    await out.captureFrame(new AudioFrame(part, RATE, 1, part.length));
  }
  return out.flush();
}

export function outputCases(kind: DriverKind): void {
  describe(`RoomAudioOutput heard on ${kind.name}`, () => {
    let driver: RoomDriver | undefined;
    let output: voice.RoomAudioOutput | undefined;
    let ear: Listener | undefined;
    afterEach(async () => {
      await ear?.stop();
      await output?.close();
      await driver?.dispose();
      ear = undefined;
      output = undefined;
      driver = undefined;
    });

    async function publish(options: voice.RoomAudioOutputOptions = {}) {
      driver = await kind.create();
      output = await voice.RoomAudioOutput.publish(driver.room, {
        queueSizeMs: 1000,
        bufferMs: 3000,
        ...options,
      });
      return { driver, out: output };
    }

    itNeeds(kind, ['subscriptionConfirmed'])(
      'waits for a user to subscribe, then the segment is heard whole and in order, its playout reported',
      async () => {
        const { driver, out } = await publish({ subscriberTimeoutMs: scaledMs(600_000) });
        const started: unknown[] = [];
        out.on('playback_started', (event) => started.push(event));
        const id = await speak(out, chirp(1));
        expect(started).toEqual([]);
        const alice = await driver.join('alice');
        ear = new Listener(await alice.hearAgent({ sampleRate: RATE }));
        expect(await out.waitForPlayout(id)).toEqual({
          segmentId: id,
          playbackPosition: 1,
          interrupted: false,
        });
        expect(started).toHaveLength(1);
        const first = ear.firstSound();
        await ear.quietAfter(Math.max(0, first), 10);
        const heard = ear.soundBlocks();
        expect(steady(heard)[0]!.at).toBeLessThan(SLACK_S);
        expect(steady(heard).at(-1)!.at).toBeGreaterThan(1 - SLACK_S);
        // 50 blocks in the second: a few may fall at the edges, none in the middle.
        expect(heard.length).toBeGreaterThanOrEqual(46);
        expectInOrder(heard);
      },
    );

    it('clearBuffer: the segment finishes interrupted at the point heard, then nothing', async () => {
      // The user is subscribed before the first audio: no wait for a subscriber needed.
      const { driver, out } = await publish({ subscriberTimeoutMs: 0 });
      ear = new Listener(await (await driver.join('alice')).hearAgent({ sampleRate: RATE }));
      const id = await speak(out, chirp(2));
      await ear.until(() => ear!.soundBlocks().length >= 25, 'half a second');
      out.clearBuffer();
      const finished = await out.waitForPlayout(id);
      expect(finished.interrupted).toBe(true);
      expect(finished.playbackPosition).toBeGreaterThan(0.4);
      expect(finished.playbackPosition).toBeLessThan(2);
      const quiet = await ear.quietAfter(ear.firstSound(), 25);
      const heard = ear.soundBlocks(0, quiet);
      expect(Math.abs(steady(heard).at(-1)!.at - finished.playbackPosition)).toBeLessThan(SLACK_S);
      expectInOrder(heard);
      // Half a second more: still nothing of the dropped rest.
      await ear.until(() => ear!.blocks.length >= quiet + 50, 'half a second after the clear');
      expect(ear.soundBlocks(quiet)).toEqual([]);
    });

    it('pause holds the unplayed audio and resume plays on from there: the whole segment heard, in order', async () => {
      // The user is subscribed before the first audio: no wait for a subscriber needed.
      const { driver, out } = await publish({ subscriberTimeoutMs: 0 });
      ear = new Listener(await (await driver.join('alice')).hearAgent({ sampleRate: RATE }));
      const finishedEvents: voice.PlaybackFinished[] = [];
      out.on('playback_finished', (event) => finishedEvents.push(event));
      const id = await speak(out, chirp(2));
      await ear.until(() => ear!.soundBlocks().length >= 25, 'half a second');
      out.pause();
      const pausedAt = out.playedSeconds;
      const gap = await ear.quietAfter(ear.firstSound(), 15);
      expect(finishedEvents).toEqual([]);
      out.resume();
      expect(await out.waitForPlayout(id)).toEqual({
        segmentId: id,
        playbackPosition: 2,
        interrupted: false,
      });
      const before = steady(ear.soundBlocks(0, gap));
      const resumed = ear.firstSound(gap);
      await ear.quietAfter(Math.max(gap, resumed), 10);
      const after = steady(ear.soundBlocks(gap));
      expect(Math.abs(before.at(-1)!.at - pausedAt)).toBeLessThan(SLACK_S);
      // On from where it stopped: not past what the source still held (the peers lose 200 ms there).
      expect(Math.abs(after[0]!.at - before.at(-1)!.at)).toBeLessThan(0.08);
      expect(after.at(-1)!.at).toBeGreaterThan(2 - SLACK_S);
      expect(before.length + after.length).toBeGreaterThanOrEqual(90);
      expectInOrder([...before, ...after]);
    });
  });
}
