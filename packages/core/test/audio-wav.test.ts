import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeWav, encodeWav, readWavFile, writeWavFile } from '../src/audio/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function zeroCrossings(samples: ArrayLike<number>): number {
  let count = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1]! < 0 !== samples[i]! < 0) count++;
  }
  return count;
}

function peak(samples: Int16Array): number {
  return samples.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
}

describe('encodeWav and decodeWav', () => {
  const stereo = new AudioFrame(Int16Array.from([0, 1, -1, 32767, -32768, 1234]), 44_100, 2, 3);

  it('round-trips 16-bit stereo', () => {
    const bytes = encodeWav(stereo);
    const text = Buffer.from(bytes).toString('latin1');
    expect(text.slice(0, 4)).toBe('RIFF');
    expect(text.slice(8, 12)).toBe('WAVE');
    expect(bytes.length).toBe(44 + stereo.data.byteLength);

    const decoded = decodeWav(bytes);
    expect(decoded.sampleRate).toBe(44_100);
    expect(decoded.channels).toBe(2);
    expect(decoded.samplesPerChannel).toBe(3);
    expect(decoded.data).toEqual(stereo.data);
  });

  it('encodes a list of frames as one file, and an empty frame as a header alone', () => {
    const more = new AudioFrame(Int16Array.from([7, 8]), 44_100, 2, 1);
    expect(decodeWav(encodeWav([stereo, more])).data).toEqual(
      Int16Array.from([...stereo.data, 7, 8]),
    );
    expect(() => encodeWav([stereo, AudioFrame.create(16_000, 2, 1)])).toThrow(/resample first/);

    const empty = decodeWav(encodeWav(AudioFrame.create(16_000, 1, 0)));
    expect(empty.samplesPerChannel).toBe(0);
    expect(empty.sampleRate).toBe(16_000);
  });

  it('says what it found when the bytes are not a WAV file', () => {
    const mp3 = Buffer.concat([Buffer.from('ID3\x04'), Buffer.alloc(60)]);
    expect(() => decodeWav(mp3)).toThrow('not a WAV file: found an MP3 file');
    expect(() => decodeWav(Buffer.from('OggS and some more bytes'))).toThrow(/an Ogg file/);
    expect(() => decodeWav(Buffer.from('{"json": true, "x": 1}'))).toThrow(
      'not a WAV file: found bytes starting 7b226a73, expected a RIFF/WAVE header',
    );
    expect(() => decodeWav(Buffer.from('RIFF'))).toThrow(/found only 4 bytes/);
    const noFmt = Buffer.concat([Buffer.from('RIFF\x04\x00\x00\x00WAVE')]);
    expect(() => decodeWav(noFmt)).toThrow(/^invalid WAV file: /);
  });

  it('drops a sample frame cut short at the end of a truncated file', () => {
    const bytes = encodeWav(stereo);
    const truncated = bytes.slice(0, bytes.length - 2);
    // Keep the header's sizes honest about the shorter data chunk.
    const view = new DataView(truncated.buffer);
    view.setUint32(4, truncated.length - 8, true);
    view.setUint32(40, truncated.length - 44, true);
    const decoded = decodeWav(truncated);
    expect(decoded.samplesPerChannel).toBe(2);
    expect(decoded.data).toEqual(stereo.data.subarray(0, 4));
  });
});

describe('WAV files made by other tools', () => {
  it('reads 24-bit stereo (WAVE_FORMAT_EXTENSIBLE) exactly as sox converts it to 16-bit', async () => {
    const frame = await readWavFile(fixture('tone-440hz-24bit-stereo-24khz.wav'));
    const reference = await readWavFile(fixture('tone-440hz-24bit-stereo-24khz.sox16.wav'));
    expect(frame.sampleRate).toBe(24_000);
    expect(frame.channels).toBe(2);
    expect(frame.samplesPerChannel).toBe(7200);
    expect(frame.data).toEqual(reference.data);

    const left = frame.data.filter((_, i) => i % 2 === 0);
    // 0.3 s of 440 Hz crosses zero 264 times; -6 dB is half of full scale.
    expect(Math.abs(zeroCrossings(left) - 264) / 264).toBeLessThan(0.02);
    expect(peak(frame.data) / 32767).toBeCloseTo(0.5, 1);
  });

  it('reads 32-bit float exactly as sox converts it to 16-bit', async () => {
    const frame = await readWavFile(fixture('tone-1khz-float32-mono-8khz.wav'));
    const reference = await readWavFile(fixture('tone-1khz-float32-mono-8khz.sox16.wav'));
    expect(frame.sampleRate).toBe(8000);
    expect(frame.samplesPerChannel).toBe(800);
    expect(frame.data).toEqual(reference.data);
  });

  it('reads unsigned 8-bit, re-centred on zero', async () => {
    const frame = await readWavFile(fixture('tone-1khz-8bit-mono-8khz.wav'));
    expect(frame.samplesPerChannel).toBe(800);
    expect(Math.abs(zeroCrossings(frame.data) - 200)).toBeLessThanOrEqual(4);
    expect(peak(frame.data) / 32767).toBeCloseTo(0.5, 1);
    expect(frame.data.every((sample) => sample % 256 === 0)).toBe(true);
  });

  it('reads speech from espeak-ng, resampled by sox to 16 kHz mono', async () => {
    const frame = await readWavFile(fixture('speech-hello-16khz-mono.wav'));
    expect(frame.sampleRate).toBe(16_000);
    expect(frame.channels).toBe(1);
    expect(frame.samplesPerChannel / 16_000).toBeGreaterThan(1);
    expect(frame.samplesPerChannel / 16_000).toBeLessThan(1.6);
    expect(peak(frame.data)).toBeGreaterThan(3000);
  });

  it('refuses compressed audio, naming the encoding and the file', async () => {
    const path = fixture('tone-mulaw-8khz.wav');
    await expect(readWavFile(path)).rejects.toThrow(
      `${path}: unsupported WAV encoding: mu-law audio (format 0x0007)`,
    );
    expect(() => decodeWav(new Uint8Array(0))).toThrow(/only 0 bytes/);
  });
});

describe('readWavFile and writeWavFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agents-audio-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('write then read gives back the frames', async () => {
    const frames = [
      new AudioFrame(Int16Array.from([1, 2, 3, 4]), 16_000, 2, 2),
      new AudioFrame(Int16Array.from([-5, -6]), 16_000, 2, 1),
    ];
    const path = join(dir, 'round-trip.wav');
    await writeWavFile(path, frames);
    expect((await readFile(path)).length).toBe(44 + 12);
    const frame = await readWavFile(path);
    expect(Array.from(frame.data)).toEqual([1, 2, 3, 4, -5, -6]);
    expect(frame.channels).toBe(2);
  });

  it('rejects a missing file with the error from the file system', async () => {
    await expect(readWavFile(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
