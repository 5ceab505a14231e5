import type { AudioFrame } from '@livekit/rtc-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AudioByteStream } from '../src/audio/index.js';
import { log } from '../src/log.js';

const SAMPLE_RATE = 16_000;
const CHANNELS = 2;
const SAMPLES_PER_CHANNEL = 160;
const FRAME_BYTES = SAMPLES_PER_CHANNEL * CHANNELS * 2;

/** Deterministic pseudo-random bytes (a linear congruential generator), so failures repeat. */
function randomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Splits `bytes` into consecutive chunks of the given sizes, cycling through them. */
function chunk(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function run(chunks: Iterable<ArrayBuffer | ArrayBufferView>): AudioFrame[] {
  const stream = new AudioByteStream(SAMPLE_RATE, CHANNELS, SAMPLES_PER_CHANNEL);
  const frames: AudioFrame[] = [];
  for (const piece of chunks) frames.push(...stream.write(piece));
  frames.push(...stream.flush());
  return frames;
}

/** What the frames should hold: the bytes read as 16-bit little-endian samples. */
function expectedSamples(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length >> 1 }, (_, i) => view.getInt16(i * 2, true));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('AudioByteStream', () => {
  // 3 whole frames, then 37 samples per channel (a shorter last frame).
  const input = randomBytes(FRAME_BYTES * 3 + 37 * CHANNELS * 2, 7);

  it('gives identical frames however the bytes are chunked', () => {
    const reference = run([input]);
    expect(reference.map((frame) => frame.samplesPerChannel)).toEqual([160, 160, 160, 37]);
    for (const frame of reference) {
      expect(frame.sampleRate).toBe(SAMPLE_RATE);
      expect(frame.channels).toBe(CHANNELS);
      expect(frame.data.length).toBe(frame.samplesPerChannel * CHANNELS);
    }
    expect(reference.flatMap((frame) => Array.from(frame.data))).toEqual(expectedSamples(input));

    const chunkings: [string, Uint8Array[]][] = [
      ['one byte at a time', chunk(input, [1])],
      ['odd sizes', chunk(input, [3, 7, 1, 641, 5])],
      ['exactly one frame', chunk(input, [FRAME_BYTES])],
      ['just over a frame', chunk(input, [FRAME_BYTES + 1])],
      [
        'random sizes',
        chunk(
          input,
          Array.from(randomBytes(64, 3), (byte) => byte + 1),
        ),
      ],
    ];
    for (const [name, chunks] of chunkings) {
      const frames = run(chunks);
      expect(frames.length, name).toBe(reference.length);
      frames.forEach((frame, i) => {
        expect(frame.samplesPerChannel, name).toBe(reference[i]!.samplesPerChannel);
        expect(frame.data, name).toEqual(reference[i]!.data);
      });
    }
  });

  it('accepts ArrayBuffer, Buffer, DataView and views at odd offsets', () => {
    const reference = run([input]);
    const padded = new Uint8Array(input.length + 1);
    padded.set(input, 1);
    const sources: [string, ArrayBuffer | ArrayBufferView][] = [
      ['ArrayBuffer', input.slice().buffer],
      ['Buffer', Buffer.from(input)],
      ['DataView', new DataView(padded.buffer, 1, input.length)],
      ['Uint8Array at offset 1', padded.subarray(1)],
    ];
    for (const [name, source] of sources) {
      expect(
        run([source]).map((frame) => frame.data),
        name,
      ).toEqual(reference.map((frame) => frame.data));
    }
  });

  it('emits frames that own their data', () => {
    const bytes = input.slice();
    const stream = new AudioByteStream(SAMPLE_RATE, CHANNELS, SAMPLES_PER_CHANNEL);
    const frames = [...stream.write(bytes.subarray(0, 5)), ...stream.write(bytes.subarray(5))];
    frames.push(...stream.flush());
    const copies = frames.map((frame) => frame.data.slice());

    bytes.fill(0);
    frames[0]!.data.fill(1);
    expect(frames[1]!.data).toEqual(copies[1]);
    expect(frames[3]!.data).toEqual(copies[3]);
    for (const frame of frames) {
      expect(frame.data.byteOffset).toBe(0);
      expect(frame.data.buffer.byteLength).toBe(frame.data.byteLength);
    }
    expect(new Set(frames.map((frame) => frame.data.buffer)).size).toBe(frames.length);
  });

  it('flushes the remainder as one shorter frame, then starts over', () => {
    const stream = new AudioByteStream(SAMPLE_RATE, 1, 100);
    expect(stream.write(new Uint8Array(250))).toHaveLength(1);
    const [rest] = stream.flush();
    expect(rest?.samplesPerChannel).toBe(25);
    expect(stream.flush()).toEqual([]);
    expect(stream.write(new Uint8Array(199))).toHaveLength(0);
    expect(stream.write(new Uint8Array(1))).toHaveLength(1);
  });

  it('drops an incomplete trailing sample with a warning', () => {
    const warn = vi.spyOn(log(), 'warn').mockImplementation(() => undefined);
    const stream = new AudioByteStream(SAMPLE_RATE, CHANNELS, SAMPLES_PER_CHANNEL);
    // 3 whole stereo samples (12 bytes), then 3 bytes: a left sample and half a right one.
    stream.write(randomBytes(15, 1));
    const frames = stream.flush();
    expect(frames.map((frame) => frame.samplesPerChannel)).toEqual([3]);
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]).toEqual([
      { droppedBytes: 3, numChannels: 2 },
      expect.stringContaining('incomplete sample'),
    ]);

    stream.write(new Uint8Array(1));
    expect(stream.flush()).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('defaults to 10 ms frames and validates its arguments', () => {
    expect(new AudioByteStream(48_000, 1).samplesPerChannel).toBe(480);
    expect(new AudioByteStream(44_100, 2).samplesPerChannel).toBe(441);
    expect(() => new AudioByteStream(0, 1)).toThrow(
      'sampleRate must be a positive integer (got 0)',
    );
    expect(() => new AudioByteStream(16_000, 1.5)).toThrow(/numChannels .* \(got 1.5\)/);
    expect(() => new AudioByteStream(16_000, 1, -1)).toThrow(/samplesPerChannel/);
    expect(() => new AudioByteStream(Number.NaN, 1)).toThrow(TypeError);
  });
});
