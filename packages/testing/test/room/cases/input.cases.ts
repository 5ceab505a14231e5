// RoomAudioInput's cases, written once against a RoomDriver: input.test.ts runs
// them on FakeRoom, room-live/input.e2e.test.ts on a real room on the stand-in.
import { audio, voice } from '@agents/core';
import { type AudioFrame, TrackSource } from '@livekit/rtc-node';
import { afterEach, describe, expect } from 'vitest';
import { scaledMs } from '../../../src/index.js';
import { type DriverKind, itNeeds, listenerCounts, type RoomDriver } from '../drivers/driver.js';
import {
  activeResources,
  expectNothingLeftRunning,
  nextEvent,
  readUntil,
  rms,
  tone,
} from '../fake-room-helpers.js';

const RATE = 16000;
const loud = (f: AudioFrame) => rms(f) > 4000;
const soft = (f: AudioFrame) => rms(f) > 1000 && rms(f) < 3000;
const silent = (f: AudioFrame) => f.data.every((s) => s === 0);

/** Reads until `count` silent frames in a row (the tail, or a source run dry). */
function readSilence(frames: AsyncIterator<AudioFrame>, count = 25) {
  let run = 0;
  return readUntil(frames, (f) => {
    run = silent(f) ? run + 1 : 0;
    return run >= count;
  });
}

export function inputCases(kind: DriverKind): void {
  describe(`RoomAudioInput on ${kind.name}`, () => {
    let driver: RoomDriver | undefined;
    let input: voice.RoomAudioInput | undefined;
    afterEach(async () => {
      await input?.close();
      await driver?.dispose();
      input = undefined;
      driver = undefined;
    });

    async function setUp(options: { autoSubscribe?: boolean } = {}, queueMs?: number) {
      driver = await kind.create(options);
      const listeners = listenerCounts(driver.room);
      input = new voice.RoomAudioInput(driver.room, { sampleRate: RATE, frameSizeMs: 20, queueMs });
      return { driver, room: driver.room, input, listeners, frames: input[Symbol.asyncIterator]() };
    }

    const it = itNeeds(kind, []);

    itNeeds(kind, ['setSubscribed'])(
      "reads the participant's microphone at the pipeline's rate, subscribing when needed",
      async () => {
        const { driver, room, input, frames } = await setUp({ autoSubscribe: false });
        input.setParticipant('alice');
        const alice = await driver.join('alice');
        const subscribed = nextEvent(room, 'trackSubscribed', 15_000);
        const mic = await alice.publishMicrophone();
        await subscribed;
        expect(input.trackSid).toBe(mic.sid);
        void mic.play(tone(2, 48000, 8000));
        const read = await readUntil(frames, loud);
        expect(read.at(-1)?.sampleRate).toBe(RATE);
        expect(read.at(-1)?.samplesPerChannel).toBe(RATE / 50);
      },
    );

    it('delivers 16 kHz by default: what Silero and the streaming STTs take, with no resampling of their own', async () => {
      driver = await kind.create();
      input = new voice.RoomAudioInput(driver.room);
      const frames = input[Symbol.asyncIterator]();
      expect(input.sampleRate).toBe(16000);
      input.setParticipant('alice');
      const alice = await driver.join('alice');
      const mic = await alice.publishMicrophone();
      void mic.play(tone(2, 48000, 8000));
      const heard = (await readUntil(frames, loud)).at(-1)!;
      expect(heard.sampleRate).toBe(16000);
      // A VAD's or STT's converter at 16 kHz hands the very frame on: no native resampling per frame.
      using converter = new audio.AudioConverter({ sampleRate: 16000, numChannels: 1 });
      expect(converter.push(heard)).toEqual([heard]);
    });

    it('prefers the MICROPHONE track over another audio track published first', async () => {
      const { driver, input, frames } = await setUp();
      const alice = await driver.join('alice');
      const other = await alice.publishMicrophone({ source: TrackSource.SOURCE_SCREENSHARE_AUDIO });
      const mic = await alice.publishMicrophone();
      input.setParticipant('alice');
      expect(input.trackSid).toBe(mic.sid);
      void other.play(tone(2, 48000, 2000));
      void mic.play(tone(2, 48000, 8000));
      await readUntil(frames, loud);
    });

    it('follows unpublish and republish: a silence tail, then the new track, the iterator never ending', async () => {
      const { driver, input, frames } = await setUp();
      input.setParticipant('alice');
      const alice = await driver.join('alice');
      const first = await alice.publishMicrophone();
      const stopFirst = new AbortController();
      void first.play(tone(5, 48000, 8000), { signal: stopFirst.signal });
      await readUntil(frames, loud);
      stopFirst.abort();
      await first.unpublish();
      expect(input.trackSid).toBeUndefined();
      // Without the tail nothing more would come: the track is gone.
      await readSilence(frames);
      const second = await alice.publishMicrophone();
      void second.play(tone(2, 48000, 2500));
      await readUntil(frames, soft);
      expect(input.trackSid).toBe(second.sid);
    });

    it('mute yields the tail and stops reading; unmute reads again', async () => {
      const { driver, input, frames } = await setUp();
      input.setParticipant('alice');
      const mic = await (await driver.join('alice')).publishMicrophone();
      void mic.play(tone(6, 48000, 8000));
      await readUntil(frames, loud);
      await mic.mute();
      // While muted the stream is not read: only the tail comes (a stream would give loud audio or its silence).
      await readSilence(frames);
      await mic.unmute();
      await readUntil(frames, loud);
    });

    it('the participant leaving gives the tail; another participant is heard after setParticipant', async () => {
      const { driver, input, frames } = await setUp();
      input.setParticipant('alice');
      const alice = await driver.join('alice');
      const bob = await driver.join('bob');
      void (await alice.publishMicrophone()).play(tone(6, 48000, 8000));
      void (await bob.publishMicrophone()).play(tone(6, 48000, 2500));
      await readUntil(frames, loud);
      await alice.leave();
      await readSilence(frames);
      input.setParticipant('bob');
      await readUntil(frames, soft);
    });

    for (const mode of ['media', 'full'] as const) {
      itNeeds(kind, mode === 'media' ? ['resume'] : [])(
        `audio flows again after a ${mode} reconnect`,
        async () => {
          const { driver, input, frames } = await setUp();
          input.setParticipant('alice');
          const mic = await (await driver.join('alice')).publishMicrophone();
          void mic.play(tone(8, 48000, 8000));
          await readUntil(frames, loud);
          await driver.simulateReconnect(mode);
          await readSilence(frames);
          await readUntil(frames, loud);
          expect(input.trackSid).toBe(mic.sid);
        },
      );
    }

    it('on overflow drops the oldest frames and counts them', async () => {
      // 200 ms of queue: 10 frames of 20 ms.
      const { driver, input, frames } = await setUp({}, 200);
      input.setParticipant('alice');
      const mic = await (await driver.join('alice')).publishMicrophone();
      // A soft second, then loud to the end: the loud part lasts well past the moment the
      // queue has dropped the soft second, so a reader woken late on a busy machine still
      // finds loud frames, never the silence after the tone.
      const pcm = new Int16Array(6 * 48000);
      pcm.set(tone(1, 48000, 2000));
      pcm.set(tone(5, 48000, 8000), 48000);
      void mic.play(pcm);
      // Nobody reads until 1.4 s of audio went past the 10 queued frames: the soft first second is gone.
      const deadline = performance.now() + scaledMs(10_000);
      while (input.droppedFrames < 70 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(input.droppedFrames).toBeGreaterThanOrEqual(70);
      const queued: AudioFrame[] = [];
      for (let i = 0; i < 10; i++) {
        const next = await frames.next();
        if (!next.done) queued.push(next.value);
      }
      expect(queued.map((f) => (loud(f) ? 'loud' : 'soft-or-silent'))).toEqual(
        Array(10).fill('loud'),
      );
    });

    it('close ends the iterator, detaches from the room and leaves nothing running', async () => {
      const before = activeResources();
      const { driver, room, input, listeners, frames } = await setUp();
      input.setParticipant('alice');
      const mic = await (await driver.join('alice')).publishMicrophone();
      void mic.play(tone(1, 48000, 8000));
      await readUntil(frames, loud);
      const pending = (async () => {
        for (;;) if ((await frames.next()).done) return 'ended';
      })();
      await input.close();
      expect(await pending).toBe('ended');
      // Every listener the input added is gone.
      expect(listenerCounts(room)).toEqual(listeners);
      await driver.dispose();
      await expectNothingLeftRunning(before);
    });
  });
}
