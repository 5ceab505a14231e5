import { readFile, writeFile } from 'node:fs/promises';
import type { AudioFrame } from '@livekit/rtc-node';
import { lazyModule } from '../utils/lazy-module.js';
import { mergeFrames } from './frames.js';
import { newAudioFrame } from './rtc.js';

// Loaded on the first WAV read or written: ~40 ms that `import '@agents/core'` need not pay.
// wavefile is CommonJS marked `__esModule`: require() gives `WaveFile` by name; a bundler's
// interop may put the module under `default` instead. Take whichever is there.
type WavefileModule = typeof import('wavefile');
const loadWavefile = lazyModule<WavefileModule & { default?: WavefileModule }>('wavefile');
const newWaveFile = () => {
  const wavefile = loadWavefile();
  const WaveFile = wavefile.WaveFile ?? wavefile.default?.WaveFile;
  return new WaveFile();
};

/** The fields of wavefile's parsed 'fmt ' chunk that we read (its typings say only `object`). */
interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** WAVE_FORMAT_EXTENSIBLE only: the real format code is the first element. */
  subformat?: number[];
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Names for the codes a user is likely to meet, so an error can say what the file holds. */
const COMPRESSED_FORMATS: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'mu-law',
  17: 'IMA ADPCM',
  49: 'GSM 6.10',
  85: 'MP3',
};
/** Starts of other audio files that are sometimes named .wav. */
const OTHER_CONTAINERS: [magic: string, name: string][] = [
  ['ID3', 'an MP3 file'],
  ['OggS', 'an Ogg file'],
  ['fLaC', 'a FLAC file'],
  ['caff', 'a Core Audio file'],
  ['FORM', 'an AIFF file'],
];

/**
 * Reads a WAV file held in memory into one frame of 16-bit PCM. Accepts integer PCM of 8, 16,
 * 24 or 32 bits and 32/64-bit float; anything else is an error that says what was found.
 */
export function decodeWav(bytes: Uint8Array): AudioFrame {
  assertWavContainer(bytes);
  const wav = newWaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (error) {
    throw new Error(`invalid WAV file: ${(error as Error).message}`, { cause: error });
  }
  const fmt = wav.fmt as FmtChunk;
  const format =
    fmt.audioFormat === WAVE_FORMAT_EXTENSIBLE ? (fmt.subformat?.[0] ?? 0) : fmt.audioFormat;
  const bits = fmt.bitsPerSample;
  const isPcm = format === WAVE_FORMAT_PCM && [8, 16, 24, 32].includes(bits);
  const isFloat = format === WAVE_FORMAT_IEEE_FLOAT && (bits === 32 || bits === 64);
  if (!isPcm && !isFloat) throw unsupportedFormat(format, bits);
  if (fmt.numChannels < 1 || fmt.sampleRate < 1) {
    throw new Error(
      `invalid WAV file: ${fmt.numChannels} channels at ${fmt.sampleRate} Hz in its header`,
    );
  }

  const samples =
    isPcm && bits === 16 && wav.container !== 'RIFX'
      ? copyPcm16(wav.data as { samples: Uint8Array })
      : toPcm16(wav.getSamples(true), isFloat, bits);
  // A truncated file may end partway through a sample frame; keep whole ones only.
  const samplesPerChannel = Math.floor(samples.length / fmt.numChannels);
  const data = samples.subarray(0, samplesPerChannel * fmt.numChannels);
  return newAudioFrame(data, fmt.sampleRate, fmt.numChannels, samplesPerChannel);
}

/** Writes frames (one or several, same rate and channels) as a 16-bit PCM WAV file in memory. */
export function encodeWav(frames: AudioFrame | readonly AudioFrame[]): Uint8Array {
  const frame = mergeFrames(frames);
  const wav = newWaveFile();
  const length = frame.channels * frame.samplesPerChannel;
  wav.fromScratch(frame.channels, frame.sampleRate, '16', frame.data.subarray(0, length));
  return wav.toBuffer();
}

/** Reads and decodes a WAV file; errors name the file. */
export async function readWavFile(path: string | URL): Promise<AudioFrame> {
  const bytes = await readFile(path);
  try {
    return decodeWav(bytes);
  } catch (error) {
    throw new Error(`${String(path)}: ${(error as Error).message}`, { cause: error });
  }
}

/** Encodes frames as 16-bit PCM and writes them to a WAV file. */
export async function writeWavFile(
  path: string | URL,
  frames: AudioFrame | readonly AudioFrame[],
): Promise<void> {
  await writeFile(path, encodeWav(frames));
}

/** Checks the RIFF header ourselves, so that an MP3 gets a better error than "no RIFF chunk". */
function assertWavContainer(bytes: Uint8Array): void {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 12));
  const container = head.toString('latin1', 0, 4);
  if (['RIFF', 'RIFX', 'RF64'].includes(container) && head.toString('latin1', 8, 12) === 'WAVE') {
    return;
  }
  const known = OTHER_CONTAINERS.find(([magic]) => head.toString('latin1').startsWith(magic));
  const found = known
    ? known[1]
    : bytes.length < 12
      ? `only ${bytes.length} bytes`
      : `bytes starting ${head.subarray(0, 4).toString('hex')}`;
  throw new Error(`not a WAV file: found ${found}, expected a RIFF/WAVE header`);
}

function unsupportedFormat(format: number, bits: number): Error {
  const hex = `0x${format.toString(16).padStart(4, '0')}`;
  const found =
    format === WAVE_FORMAT_PCM
      ? `${bits}-bit PCM`
      : format === WAVE_FORMAT_IEEE_FLOAT
        ? `${bits}-bit float`
        : `${COMPRESSED_FORMATS[format] ?? 'compressed'} audio (format ${hex})`;
  return new Error(
    `unsupported WAV encoding: ${found}. Supported: 8/16/24/32-bit PCM and 32/64-bit float; ` +
      'convert it first, e.g. `sox in.wav -b 16 -e signed-integer out.wav`',
  );
}

/** 16-bit little-endian PCM is already what a frame holds: one copy into an aligned buffer. */
function copyPcm16(data: { samples: Uint8Array }): Int16Array {
  const bytes = data.samples;
  const samples = new Int16Array(bytes.length >> 1);
  new Uint8Array(samples.buffer).set(bytes.subarray(0, samples.length * 2));
  return samples;
}

/**
 * Converts the values wavefile unpacked to 16 bits: integers lose their low bits (rounded),
 * floats in [-1, 1] are scaled, and 8-bit PCM, which WAV stores unsigned, is re-centred.
 */
function toPcm16(values: Float64Array, isFloat: boolean, bits: number): Int16Array {
  const samples = new Int16Array(values.length);
  const scale = isFloat ? 32768 : 2 ** (16 - bits);
  const offset = !isFloat && bits === 8 ? -128 : 0;
  for (let i = 0; i < values.length; i++) {
    const value = Math.round((values[i] + offset) * scale);
    samples[i] = Math.min(32767, Math.max(-32768, value));
  }
  return samples;
}
