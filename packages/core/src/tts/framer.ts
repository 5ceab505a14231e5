import type { AudioFrame } from '@livekit/rtc-node';
import { AudioByteStream } from '../audio/byte-stream.js';

/** Length of the frames TTS streams hand out, whatever size the provider sends. */
export const TTS_FRAME_MS = 20;

/**
 * Cuts provider audio (raw 16-bit PCM bytes or frames of any size) into
 * TTS_FRAME_MS frames, holding one back so the last of a segment can be marked.
 */
export class TTSFramer {
  readonly #bytes: AudioByteStream;
  readonly #sampleRate: number;
  readonly #numChannels: number;
  #held: AudioFrame | undefined;

  constructor(sampleRate: number, numChannels: number) {
    this.#sampleRate = sampleRate;
    this.#numChannels = numChannels;
    this.#bytes = new AudioByteStream(sampleRate, numChannels, (sampleRate * TTS_FRAME_MS) / 1000);
  }

  /** Frames complete so far, all but the newest (which may turn out to be the last). */
  push(data: AudioFrame | ArrayBufferView): AudioFrame[] {
    if (isAudioFrame(data)) {
      if (data.sampleRate !== this.#sampleRate || data.channels !== this.#numChannels) {
        throw new Error(
          `TTS audio is ${data.sampleRate} Hz/${data.channels} ch but the TTS declared ` +
            `${this.#sampleRate} Hz/${this.#numChannels} ch`,
        );
      }
      return this.#release(this.#bytes.write(data.data));
    }
    return this.#release(this.#bytes.write(data));
  }

  /** The remaining frames; the last element is the segment's final frame. */
  flush(): AudioFrame[] {
    const rest = [...(this.#held ? [this.#held] : []), ...this.#bytes.flush()];
    this.#held = undefined;
    return rest;
  }

  #release(frames: AudioFrame[]): AudioFrame[] {
    if (frames.length === 0) return [];
    const out = this.#held ? [this.#held, ...frames] : [...frames];
    this.#held = out.pop();
    return out;
  }
}

function isAudioFrame(value: unknown): value is AudioFrame {
  return (
    typeof value === 'object' &&
    value !== null &&
    'samplesPerChannel' in value &&
    (value as AudioFrame).data instanceof Int16Array
  );
}
