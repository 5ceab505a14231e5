import { readFileSync } from 'node:fs';
import { audio } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import type { ElevenLabsAlignment } from './types.js';

/**
 * Synthetic speech lasts this long per character of the text, spaces and
 * punctuation included (about 150 words a minute, an ordinary speaking rate).
 */
export const MS_PER_CHARACTER = 65;

/** Audio per websocket message. The real size is unverified; 100–500 ms is what clients see. */
const CHUNK_TARGET_MS = 250;

/** The service's enum for `output_format` (ELSPEC), so a typo is told apart from "not served here". */
const KNOWN_FORMATS =
  /^(mp3_22050_32|mp3_44100_(32|64|96|128|192)|pcm_(8000|16000|22050|24000|44100|48000)|ulaw_8000|alaw_8000|opus_48000_(32|64|96|128|192))$/;

/** The service's default when `output_format` is absent. */
const DEFAULT_OUTPUT_FORMAT = 'mp3_44100_128';

/** A request the stand-in will not serve, with the HTTP status and the message to send. */
export class UnservedFormatError extends Error {
  constructor(
    readonly status: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The sample rate of a `pcm_*` format. The stand-in serves PCM only: it has
 * no MP3, µ-law or Opus encoder, so a client that relies on the service's
 * MP3 default, or asks for another codec, is told so here instead of getting
 * bytes it cannot use.
 */
export function pcmRateOf(outputFormat: string | null): number {
  const format = outputFormat ?? DEFAULT_OUTPUT_FORMAT;
  if (!KNOWN_FORMATS.test(format)) {
    throw new UnservedFormatError(
      422,
      `output_format ${JSON.stringify(format)} is not one of the service's formats ` +
        '(mp3_44100_128, pcm_16000, pcm_22050, pcm_24000, pcm_44100, ...)',
    );
  }
  const pcm = /^pcm_(\d+)$/.exec(format);
  if (!pcm) {
    const why = outputFormat === null ? ` (the service's default, since none was given)` : '';
    throw new UnservedFormatError(
      400,
      `the ElevenLabs stand-in serves PCM only; got output_format=${format}${why}. ` +
        'Ask for pcm_16000, pcm_22050, pcm_24000 or pcm_44100.',
    );
  }
  return Number(pcm[1]);
}

/**
 * Audio registered per exact text (compared after trimming whitespace), kept
 * as mono at its own rate and resampled once per requested rate.
 */
export class ScriptedAudio {
  readonly #byText = new Map<string, AudioFrame>();
  readonly #resampled = new Map<string, Int16Array>();

  register(text: string, frames: readonly AudioFrame[] | string): void {
    const key = text.trim();
    if (key === '') throw new TypeError('registerAudio: the text must not be empty');
    const list = typeof frames === 'string' ? [readWav(frames)] : frames;
    if (list.length === 0) throw new TypeError(`registerAudio(${JSON.stringify(text)}): no frames`);
    this.#byText.set(key, audio.downmixToMono(audio.combineFrames(list)));
    for (const cached of this.#resampled.keys()) {
      if (cached.endsWith(`\u0000${key}`)) this.#resampled.delete(cached);
    }
  }

  /** The registered audio for `text` at `sampleRate`, or undefined. */
  pcmFor(text: string, sampleRate: number): Int16Array | undefined {
    const key = text.trim();
    const frame = this.#byText.get(key);
    if (!frame) return undefined;
    const cacheKey = `${sampleRate}\u0000${key}`;
    let pcm = this.#resampled.get(cacheKey);
    if (!pcm) {
      pcm =
        frame.sampleRate === sampleRate
          ? frame.data.slice(0, frame.samplesPerChannel)
          : audio.combineFrames(audio.resampleFrames(frame, sampleRate)).data;
      this.#resampled.set(cacheKey, pcm);
    }
    return pcm;
  }
}

function readWav(path: string): AudioFrame {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`registerAudio: cannot read the WAV file ${path}: ${String(error)}`);
  }
  return audio.decodeWav(bytes);
}

/**
 * Deterministic speech-like audio for `chars`: a soft vowel (150 Hz with two
 * harmonics) whose loudness swells once per character, quieter on spaces, so
 * energy-based checks (VAD, level meters) see speech, and word gaps show.
 * Exactly MS_PER_CHARACTER per character.
 */
export function synthesizePcm(chars: readonly string[], sampleRate: number): Int16Array {
  const perChar = Math.round((sampleRate * MS_PER_CHARACTER) / 1000);
  const pcm = new Int16Array(perChar * chars.length);
  const w = (2 * Math.PI * 150) / sampleRate;
  chars.forEach((char, c) => {
    const loudness = /\s/.test(char) ? 1200 : 6000;
    for (let j = 0; j < perChar; j++) {
      const n = c * perChar + j;
      const swell = 0.55 + 0.45 * Math.sin((Math.PI * j) / perChar);
      const vowel = Math.sin(w * n) + 0.5 * Math.sin(2 * w * n) + 0.25 * Math.sin(3 * w * n);
      pcm[n] = Math.round((loudness * swell * vowel) / 1.75);
    }
  });
  return pcm;
}

/** One audio message's worth: its samples and the alignment of the characters they speak. */
export interface AudioChunk {
  pcm: Int16Array;
  durationMs: number;
  alignment: ElevenLabsAlignment;
}

/**
 * Cuts one generation into messages of about CHUNK_TARGET_MS, always between
 * two characters, so every character's time span lies inside the audio of
 * the message that carries it. Characters share the audio evenly (synthetic
 * audio is built that way; scripted audio is simply divided).
 *
 * Times are whole milliseconds, rounded down at each character boundary, so
 * start + duration never passes the audio actually sent. With
 * `times: 'chunk'` they count from the start of this message's audio (what
 * the service's spec says, and what pipecat assumes); with 'context' from
 * the start of the context's audio (`contextOffsetSamples` = audio of the
 * context already sent), what LiveKit's plugin assumes.
 */
export function chunkGeneration(
  chars: readonly string[],
  pcm: Int16Array,
  sampleRate: number,
  times: 'chunk' | 'context',
  contextOffsetSamples: number,
): AudioChunk[] {
  const count = chars.length;
  if (count === 0 || pcm.length === 0) return [];
  const boundary = (i: number) => Math.floor((i * pcm.length) / count);
  const charMs = (pcm.length / count / sampleRate) * 1000;
  const perChunk = Math.max(1, Math.round(CHUNK_TARGET_MS / Math.max(charMs, 1e-6)));
  const toMs = (samples: number) => Math.floor((samples * 1000) / sampleRate);
  const chunks: AudioChunk[] = [];
  for (let first = 0; first < count; first += perChunk) {
    const end = Math.min(count, first + perChunk);
    const from = boundary(first);
    const to = end === count ? pcm.length : boundary(end);
    const origin = times === 'chunk' ? from : -contextOffsetSamples;
    const alignment: ElevenLabsAlignment = { chars: [], charStartTimesMs: [], charDurationsMs: [] };
    for (let i = first; i < end; i++) {
      const start = toMs(boundary(i) - origin);
      const stop = toMs((i + 1 === count ? pcm.length : boundary(i + 1)) - origin);
      alignment.chars.push(chars[i] as string);
      alignment.charStartTimesMs.push(start);
      alignment.charDurationsMs.push(stop - start);
    }
    chunks.push({
      pcm: pcm.subarray(from, to),
      durationMs: ((to - from) * 1000) / sampleRate,
      alignment,
    });
  }
  return chunks;
}
