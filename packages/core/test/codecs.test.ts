import { readdirSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AudioFrame } from '@livekit/rtc-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeWav } from '../src/audio/index.js';
import { decodeMp3Stream, Mp3DecodeError, Mp3Decoder } from '../src/codecs/index.js';
import type { Mp3DecoderOptions } from '../src/codecs/mp3.js';
import { scaledMs } from './time.js';

/**
 * Fixtures (see fixtures/README.md): "Hello, agent." by eSpeak NG, 24,733 samples at 22.05 kHz
 * (1.12 s), encoded by LAME 3.100 as 64 kbit/s mono with ID3v1+v2 tags; and the same speech at
 * 44.1 kHz on the left with a 440 Hz tone on the right, 49,466 samples, 96 kbit/s true stereo.
 */
const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const MONO = fixture('speech-hello-22khz-mono.mp3');
const STEREO = fixture('speech-tone-44khz-stereo.mp3');
const MONO_SOURCE_SAMPLES = 24_733;
const STEREO_SOURCE_SAMPLES = 49_466;
/** Samples per channel in one MP3 frame: MPEG-2 layer III (22.05 kHz) and MPEG-1 (44.1 kHz). */
const MPEG2_FRAME = 576;
const MPEG1_FRAME = 1152;

function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const list: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) list.push(bytes.subarray(at, at + size));
  return list;
}

async function decode(
  bytes: Uint8Array,
  chunkSize = bytes.length,
  options: Mp3DecoderOptions = {},
): Promise<{ frames: AudioFrame[]; decoder: Mp3Decoder }> {
  const decoder = await Mp3Decoder.create(options);
  try {
    const frames = chunks(bytes, chunkSize).flatMap((chunk) => decoder.push(chunk));
    frames.push(...decoder.flush());
    return { frames, decoder };
  } finally {
    decoder.close();
  }
}

function pcm(frames: AudioFrame[]): Int16Array {
  const all = new Int16Array(frames.reduce((n, f) => n + f.samplesPerChannel * f.channels, 0));
  let at = 0;
  for (const frame of frames) {
    all.set(frame.data.subarray(0, frame.samplesPerChannel * frame.channels), at);
    at += frame.samplesPerChannel * frame.channels;
  }
  return all;
}

const samplesPerChannel = (frames: AudioFrame[]) =>
  frames.reduce((n, f) => n + f.samplesPerChannel, 0);

function format(frames: AudioFrame[]): Set<string> {
  return new Set(frames.map((f) => `${f.sampleRate}/${f.channels}`));
}

/** A deterministic byte sequence that is not MP3 (a linear congruential generator). */
function noise(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Mp3Decoder', () => {
  it('decodes mono 22.05 kHz (behind an ID3 tag) to mono frames as long as the source', async () => {
    const { frames, decoder } = await decode(MONO);
    expect(decoder.sourceFormat).toEqual({ sampleRate: 22_050, numChannels: 1 });
    expect(format(frames)).toEqual(new Set(['22050/1']));
    expect(Math.abs(samplesPerChannel(frames) - MONO_SOURCE_SAMPLES)).toBeLessThanOrEqual(
      MPEG2_FRAME,
    );
    expect(decoder.decodeErrors).toBe(0);
  });

  it('matches the source WAV sample for sample within coding noise', async () => {
    const source = decodeWav(
      readFileSync(new URL('./fixtures/speech-hello-22khz-mono.wav', import.meta.url)),
    );
    const expected = pcm(Array.isArray(source) ? source : [source]);
    const decoded = pcm((await decode(MONO)).frames);
    let error = 0;
    let energy = 0;
    for (let i = 0; i < Math.min(expected.length, decoded.length); i++) {
      error += (expected[i]! - decoded[i]!) ** 2;
      energy += expected[i]! ** 2;
    }
    // Aligned (gapless trimming worked) and close: a shift by even one sample costs far more.
    expect(10 * Math.log10(energy / error)).toBeGreaterThan(10);
  });

  it('keeps stereo as stereo: speech on the left, a tone on the right', async () => {
    const { frames, decoder } = await decode(STEREO);
    expect(decoder.sourceFormat).toEqual({ sampleRate: 44_100, numChannels: 2 });
    expect(format(frames)).toEqual(new Set(['44100/2']));
    expect(Math.abs(samplesPerChannel(frames) - STEREO_SOURCE_SAMPLES)).toBeLessThanOrEqual(
      MPEG1_FRAME,
    );
    const all = pcm(frames);
    let differing = 0;
    for (let i = 0; i < all.length; i += 2) if (Math.abs(all[i]! - all[i + 1]!) > 100) differing++;
    expect(differing).toBeGreaterThan(STEREO_SOURCE_SAMPLES / 2);
  });

  it('mixes stereo to mono when asked', async () => {
    const stereo = pcm((await decode(STEREO)).frames);
    const { frames } = await decode(STEREO, STEREO.length, { numChannels: 1 });
    expect(format(frames)).toEqual(new Set(['44100/1']));
    const mono = pcm(frames);
    expect(mono.length).toBe(stereo.length / 2);
    for (const i of [1000, 20_000, 40_000]) {
      expect(mono[i]).toBe(Math.round((stereo[2 * i]! + stereo[2 * i + 1]!) / 2));
    }
  });

  it.each([
    ['mono', MONO, 1],
    ['stereo', STEREO, 2],
  ] as const)(
    'gives identical PCM for 1-byte, 7-byte and whole-file chunks (%s)',
    async (_, bytes, channels) => {
      const whole = pcm((await decode(bytes)).frames);
      expect(whole.length).toBeGreaterThan(0);
      for (const size of [1, 7]) {
        const { frames } = await decode(bytes, size);
        for (const frame of frames) expect(frame.channels).toBe(channels);
        expect(pcm(frames)).toEqual(whole);
      }
    },
  );

  it.each([
    ['mono 22.05 kHz', MONO, MONO_SOURCE_SAMPLES / 22_050, 1],
    ['stereo 44.1 kHz', STEREO, STEREO_SOURCE_SAMPLES / 44_100, 2],
  ] as const)(
    'resamples %s to 24 kHz, keeping its duration and channels',
    async (_, bytes, seconds, channels) => {
      const { frames } = await decode(bytes, 997, { sampleRate: 24_000 });
      expect(format(frames)).toEqual(new Set([`24000/${channels}`]));
      // Within one MP3 frame (at most 26 ms), at the output rate.
      expect(Math.abs(samplesPerChannel(frames) / 24_000 - seconds)).toBeLessThan(0.027);
    },
  );

  it('decodes a file cut in the middle of a frame, dropping only the cut frame', async () => {
    const cut = STEREO.subarray(0, STEREO.length - 500); // 96 kbit/s: 313-byte frames
    const { frames } = await decode(cut, 64);
    const full = STEREO_SOURCE_SAMPLES;
    const decoded = samplesPerChannel(frames);
    expect(decoded).toBeLessThan(full);
    expect(decoded).toBeGreaterThanOrEqual(full - 3 * MPEG1_FRAME);
  });

  it('skips corrupt data inside a stream (quietly on stderr) and goes on decoding', async () => {
    const errorOutput = vi.spyOn(console, 'error');
    const corrupt = STEREO.slice();
    corrupt.set(noise(2000), 5000);
    const { frames, decoder } = await decode(corrupt, 512);
    const decoded = samplesPerChannel(frames);
    // 2000 bytes span 7 frames of 313 bytes; mpg123 also loses the frames whose bit reservoir
    // pointed into them while it resyncs (13 measured). The rest decodes, in the stream's format.
    expect(decoded).toBeLessThan(STEREO_SOURCE_SAMPLES - 6 * MPEG1_FRAME);
    expect(decoded).toBeGreaterThan(STEREO_SOURCE_SAMPLES - 20 * MPEG1_FRAME);
    expect(format(frames)).toEqual(new Set(['44100/2']));
    expect(decoder.decodeErrors).toBeGreaterThan(0);
    expect(errorOutput).not.toHaveBeenCalled();
  });

  it('throws Mp3DecodeError at flush() when the input held no MP3 audio', async () => {
    const decoder = await Mp3Decoder.create();
    try {
      const body = new TextEncoder().encode('{"error":{"message":"Invalid API key"}}');
      expect(decoder.push(body)).toEqual([]);
      expect(() => decoder.flush()).toThrow(Mp3DecodeError);
      expect(() => decoder.flush()).toThrow(`no MP3 audio in ${body.length} bytes`);
    } finally {
      decoder.close();
    }
  });

  it('throws Mp3DecodeError once maxUndecodedBytes go in without audio, and stays failed', async () => {
    const decoder = await Mp3Decoder.create({ maxUndecodedBytes: 4096 });
    try {
      const text = new TextEncoder().encode('<html>not audio</html>'.repeat(300));
      const pushes: number[] = [];
      expect(() => {
        for (const chunk of chunks(text, 1000)) pushes.push(decoder.push(chunk).length);
      }).toThrow('no MP3 audio in the last 5000 bytes (maxUndecodedBytes is 4096)');
      expect(pushes).toEqual([0, 0, 0, 0]);
      expect(() => decoder.push(MONO)).toThrow(Mp3DecodeError);
    } finally {
      decoder.close();
    }
  });

  it('never throws anything but Mp3DecodeError on random bytes', async () => {
    const errorOutput = vi.spyOn(console, 'error');
    for (const seed of [1, 2, 3]) {
      const decoder = await Mp3Decoder.create();
      try {
        for (const chunk of chunks(noise(64 * 1024, seed), 333)) decoder.push(chunk);
        decoder.flush();
      } catch (error) {
        expect(error).toBeInstanceOf(Mp3DecodeError);
      } finally {
        decoder.close();
      }
    }
    expect(errorOutput).not.toHaveBeenCalled();
  });

  it('refuses use after close() and bad options before loading anything', async () => {
    const decoder = await Mp3Decoder.create();
    decoder.close();
    decoder.close();
    expect(() => decoder.push(MONO)).toThrow(/after close\(\)/);
    await expect(Mp3Decoder.create({ sampleRate: 0 })).rejects.toThrow(/sampleRate/);
    await expect(Mp3Decoder.create({ numChannels: 1.5 })).rejects.toThrow(/numChannels/);
  });

  it('imports mpg123-decoder only at first use (no static import in the codecs module)', () => {
    const folder = new URL('../src/codecs/', import.meta.url);
    for (const file of readdirSync(folder)) {
      const source = readFileSync(new URL(file, folder), 'utf8');
      for (const line of source.split('\n').filter((l) => l.includes("from 'mpg123-decoder'"))) {
        expect(line).toMatch(/^import type |^export type /);
      }
    }
  });
});

describe('decodeMp3Stream', () => {
  async function* network(bytes: Uint8Array, chunkSize: number) {
    for (const chunk of chunks(bytes, chunkSize)) {
      await Promise.resolve();
      yield chunk;
    }
  }

  it('decodes an async iterable of chunks, ending with the flushed tail', async () => {
    const frames: AudioFrame[] = [];
    for await (const frame of decodeMp3Stream(network(MONO, 100), { sampleRate: 24_000 })) {
      frames.push(frame);
    }
    expect(format(frames)).toEqual(new Set(['24000/1']));
    expect(
      Math.abs(samplesPerChannel(frames) / 24_000 - MONO_SOURCE_SAMPLES / 22_050),
    ).toBeLessThan(0.027);
  });

  it('stops reading the source on break', async () => {
    let pulled = 0;
    let sourceClosed = false;
    async function* endless() {
      try {
        for (;;) {
          for (const chunk of chunks(STEREO, 1000)) {
            pulled++;
            yield chunk;
          }
        }
      } finally {
        sourceClosed = true;
      }
    }
    let frames = 0;
    for await (const _ of decodeMp3Stream(endless())) {
      if (++frames === 3) break;
    }
    // The source generator has run its finally block: it is finished and cannot be pulled again.
    expect(sourceClosed).toBe(true);
    expect(pulled).toBeLessThan(10);
  });

  it(
    'keeps memory flat over 10 minutes of audio fed fast',
    async () => {
      // gc() without restarting vitest with --expose-gc: the flag can be set at run time, and a
      // new context then gets the function.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const repeats = Math.ceil(600 / (MONO_SOURCE_SAMPLES / 22_050));
      async function* tenMinutes() {
        for (let i = 0; i < repeats; i++) yield* chunks(MONO, 4096);
      }
      // Frames out of the native resampler keep their samples in `external`, freed by
      // finalizers that run after a gc, at the next turn of the event loop: let them run.
      const memory = async () => {
        for (let i = 0; i < 3; i++) {
          gc();
          await new Promise((resolve) => setImmediate(resolve));
        }
        const usage = process.memoryUsage();
        return usage.heapUsed + usage.external;
      };
      const pushes = repeats * Math.ceil(MONO.length / 4096);
      let samples = 0;
      let frameCount = 0;
      let warm = 0;
      let late = 0;
      // Both measured while the decoder is open (its ~16 MB of WASM memory counts in both):
      // after the first minute, when everything is warm, and near the end.
      for await (const frame of decodeMp3Stream(tenMinutes(), { sampleRate: 48_000 })) {
        samples += frame.samplesPerChannel;
        frameCount++;
        if (frameCount === Math.round(pushes * 0.1)) warm = await memory();
        if (frameCount === Math.round(pushes * 0.9)) late = await memory();
      }
      expect(samples / 48_000).toBeGreaterThan(590);
      expect(warm).toBeGreaterThan(0);
      expect(late).toBeGreaterThan(0);
      // 45 MB of PCM went through between the two; holding on to a tenth of it would show.
      expect(late - warm).toBeLessThan((samples * 2 * 0.8) / 10);
    },
    // 5 s alone here, four times that on a busy machine.
    scaledMs(120_000),
  );
});
