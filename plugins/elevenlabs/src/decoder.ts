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

export function createDecoder(encoding: TTSEncoding): AudioDecoder {
  if (isMp3(encoding)) throw mp3Unsupported(encoding);
  return new PcmPassThrough(sampleRateOf(encoding));
}

export function mp3Unsupported(encoding: TTSEncoding): Error {
  return new TypeError(
    `elevenlabs.TTS: encoding ${encoding} needs the MP3 decoder of @agents/core, which this ` +
      'version does not have yet; use a pcm_* encoding (pcm_24000 is the default)',
  );
}
