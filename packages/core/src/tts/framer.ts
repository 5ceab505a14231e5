import type { AudioFrame } from '@livekit/rtc-node';
import { AudioByteStream } from '../audio/byte-stream.js';

/** Length of the frames TTS streams hand out, whatever size the provider sends. */
export const TTS_FRAME_MS = 20;

/**
 * Cuts provider audio (raw 16-bit PCM bytes or frames of any size) into
 * TTS_FRAME_MS frames. Complete frames go out at once: holding one back (to
 * mark a segment's last frame) would delay speech by a provider chunk.
 */
export class TTSFramer {
  readonly #bytes: AudioByteStream;
  readonly #sampleRate: number;
  readonly #numChannels: number;

  constructor(sampleRate: number, numChannels: number) {
    this.#sampleRate = sampleRate;
    this.#numChannels = numChannels;
    this.#bytes = new AudioByteStream(sampleRate, numChannels, (sampleRate * TTS_FRAME_MS) / 1000);
  }

  /** The frames completed by this data. */
  push(data: AudioFrame | ArrayBufferView): AudioFrame[] {
    if (isAudioFrame(data)) {
      if (data.sampleRate !== this.#sampleRate || data.channels !== this.#numChannels) {
        throw new Error(
          `TTS audio is ${data.sampleRate} Hz/${data.channels} ch but the TTS declared ` +
            `${this.#sampleRate} Hz/${this.#numChannels} ch`,
        );
      }
      return this.#bytes.write(data.data);
    }
    return this.#bytes.write(data);
  }

  /** The remainder of a segment, as one shorter frame (or none). */
  flush(): AudioFrame[] {
    return this.#bytes.flush();
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
