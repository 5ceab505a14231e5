import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audio, vad } from '@agents/core';
import { scaledMs } from '@agents/testing';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError, VAD } from '../src/index.js';
import { detect, framesOf, ofType, readFixture } from './helpers.js';

const { INFERENCE_DONE, START_OF_SPEECH } = vad.VADEventType;

let silero: VAD;
beforeAll(async () => {
  silero = await VAD.load();
});
afterAll(async () => {
  await silero.close();
});

/** The input holds 1000 frames: 10 s of the 10 ms frames used here. */
const INPUT_SECONDS = 10;

/**
 * The 7.4 s fixture twice over: 14.8 s, past the input's 10 s of frames, so pushing it all at once
 * must drop some; no longer, as each pass over it is a few hundred inferences on a busy machine.
 */
function longFile(): AudioFrame[] {
  const frames = framesOf(readFixture('speech-16k-mono'));
  return [...frames, ...frames];
}

async function readEvents(stream: vad.VADStream): Promise<vad.VADEvent[]> {
  const events: vad.VADEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('audio faster than real time', () => {
  it(
    'write() takes a whole file without losing a frame; pushFrame() drops past 10 s',
    async () => {
      const frames = longFile();
      const samples = frames.reduce((total, frame) => total + frame.samplesPerChannel, 0);
      const windows = Math.ceil(samples / 512);

      const written = silero.stream();
      const reading = readEvents(written);
      for (const frame of frames) await written.write(frame);
      written.endInput();
      const writtenEvents = await reading;
      expect(ofType(writtenEvents, INFERENCE_DONE).length).toBeGreaterThanOrEqual(windows - 1);
      // Paced by events read, as a live caller would be: the same detection.
      const paced = await detect(silero.stream(), frames);
      expect(ofType(writtenEvents, INFERENCE_DONE)).toHaveLength(
        ofType(paced, INFERENCE_DONE).length,
      );
      expect(ofType(writtenEvents, START_OF_SPEECH)).toHaveLength(6);

      const pushed = silero.stream();
      for (const frame of frames) pushed.pushFrame(frame);
      pushed.endInput();
      const pushedEvents = await readEvents(pushed);
      // What fits in the input (one more window for a frame the stream may already have taken).
      const kept = Math.ceil((INPUT_SECONDS * silero.sampleRate) / 512) + 1;
      expect(ofType(pushedEvents, INFERENCE_DONE).length).toBeLessThanOrEqual(kept);
      // The file is long enough for the drop to show.
      expect(windows - kept).toBeGreaterThan(100);
      // Three inference passes over the file: minutes of CPU share on a starved machine.
    },
    scaledMs(180_000),
  );
});

describe('malformed frames', () => {
  const good = () => framesOf(readFixture('speech-16k-mono'));
  const bad: [string, unknown, RegExp][] = [
    ['sampleRate 0', new AudioFrame(new Int16Array(160), 0, 1, 160), /frame\.sampleRate/],
    [
      'sampleRate NaN',
      new AudioFrame(new Int16Array(160), Number.NaN, 1, 160),
      /frame\.sampleRate/,
    ],
    ['channels 0', new AudioFrame(new Int16Array(160), 16000, 0, 160), /frame\.channels/],
    ['null', null, /frame must be an AudioFrame \(got null\)/],
    ['not a frame', { samples: [1, 2] }, /frame\.data must be an Int16Array/],
    ['short data', new AudioFrame(new Int16Array(100), 16000, 1, 160), /frame\.data holds 100/],
  ];

  it.each(bad)('refuses %s at pushFrame, and the stream goes on', async (_, frame, message) => {
    const stream = silero.stream();
    const frames = good();
    const half = frames.length / 2;
    const events: vad.VADEvent[] = [];
    const reading = (async () => {
      for await (const event of stream) events.push(event);
    })();
    for (const item of frames.slice(0, half)) await stream.write(item);
    expect(() => stream.pushFrame(frame as AudioFrame)).toThrow(TypeError);
    expect(() => stream.pushFrame(frame as AudioFrame)).toThrow(message);
    await expect(stream.write(frame as AudioFrame)).rejects.toThrow(message);
    for (const item of frames.slice(half)) await stream.write(item);
    stream.endInput();
    await reading;
    // All three utterances, the last ones after the bad frame.
    expect(ofType(events, START_OF_SPEECH)).toHaveLength(3);
    const total = audio.framesDuration(frames);
    expect(events.at(-1)!.timestamp).toBeGreaterThan(total - 0.1);
  });
});

describe('modelPath', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'silero-input-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('that is a folder gives a ModelFileError saying so', async () => {
    const error = await VAD.load({ modelPath: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toMatch(/is a folder: pass the path of the \.onnx file/);
  });
});
