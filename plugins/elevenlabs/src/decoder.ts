import { codecs } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { isMp3, sampleRateOf, type TTSEncoding } from './models.js';

/** Audio ready for the framer, and how long it plays. */
export interface Decoded {
  audio: (AudioFrame | Uint8Array)[];
  durationMs: number;
}

/** Turns the service's audio bytes, as they arrive, into PCM at the TTS's rate. One per segment. */
export interface AudioDecoder {
  decode(chunk: Uint8Array): Promise<Decoded>;
  /** What the decoder still holds, at the end of the segment. */
  flush(): Promise<Decoded>;
  close(): void;
}

/** Raw 16-bit mono PCM: passed through as it is. */
class PcmPassThrough implements AudioDecoder {
  readonly #sampleRate: number;

  constructor(sampleRate: number) {
    this.#sampleRate = sampleRate;
  }

  async decode(chunk: Uint8Array): Promise<Decoded> {
    return { audio: [chunk], durationMs: (chunk.length / 2 / this.#sampleRate) * 1000 };
  }

  async flush(): Promise<Decoded> {
    return { audio: [], durationMs: 0 };
  }

  close(): void {}
}

/**
 * MP3 as a stream: frames come out as soon as the bytes complete them (a
 * message may complete none). The decoder is made at the first bytes, so a
 * segment that never gets audio never loads it.
 */
class Mp3Frames implements AudioDecoder {
  readonly #sampleRate: number;
  #decoder: Promise<codecs.Mp3Decoder> | undefined;
  #closed = false;

  constructor(sampleRate: number) {
    this.#sampleRate = sampleRate;
  }

  async decode(chunk: Uint8Array): Promise<Decoded> {
    this.#decoder ??= codecs.Mp3Decoder.create({ sampleRate: this.#sampleRate, numChannels: 1 });
    const decoder = await this.#decoder;
    return framesOf(this.#closed ? [] : decoder.push(chunk));
  }

  async flush(): Promise<Decoded> {
    if (!this.#decoder || this.#closed) return framesOf([]);
    return framesOf((await this.#decoder).flush());
  }

  close(): void {
    this.#closed = true;
    this.#decoder?.then((d) => d.close()).catch(() => {});
  }
}

function framesOf(frames: AudioFrame[]): Decoded {
  let durationMs = 0;
  for (const frame of frames) durationMs += (frame.samplesPerChannel / frame.sampleRate) * 1000;
  return { audio: frames, durationMs };
}

export function createDecoder(encoding: TTSEncoding): AudioDecoder {
  const sampleRate = sampleRateOf(encoding);
  return isMp3(encoding) ? new Mp3Frames(sampleRate) : new PcmPassThrough(sampleRate);
}
