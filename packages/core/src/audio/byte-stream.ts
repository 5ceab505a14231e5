import type { AudioFrame } from '@livekit/rtc-node';
import { log } from '../log.js';
import { assertPositiveInteger } from './frames.js';
import { newAudioFrame } from './rtc.js';

const BYTES_PER_SAMPLE = 2;

/**
 * Cuts raw 16-bit little-endian interleaved PCM, arriving in chunks of any size (a sample may
 * be split across two chunks), into frames of exactly `samplesPerChannel`. This is how bytes
 * from an HTTP or WebSocket TTS response become frames. Every frame owns its data.
 */
export class AudioByteStream {
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly samplesPerChannel: number;
  readonly #frameBytes: number;
  /** Bytes of the frame being filled; never holds a whole frame between calls. */
  readonly #pending: Uint8Array;
  #pendingLength = 0;

  /** `samplesPerChannel` defaults to 10 ms of audio. */
  constructor(sampleRate: number, numChannels: number, samplesPerChannel?: number) {
    assertPositiveInteger('sampleRate', sampleRate);
    assertPositiveInteger('numChannels', numChannels);
    const perChannel = samplesPerChannel ?? Math.floor(sampleRate / 100);
    assertPositiveInteger('samplesPerChannel', perChannel);
    this.sampleRate = sampleRate;
    this.numChannels = numChannels;
    this.samplesPerChannel = perChannel;
    this.#frameBytes = perChannel * numChannels * BYTES_PER_SAMPLE;
    this.#pending = new Uint8Array(this.#frameBytes);
  }

  /** Takes the next chunk; returns the frames it completed (often none, sometimes several). */
  write(chunk: ArrayBuffer | ArrayBufferView): AudioFrame[] {
    const bytes = ArrayBuffer.isView(chunk)
      ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      : new Uint8Array(chunk);
    const frames: AudioFrame[] = [];
    let offset = 0;

    if (this.#pendingLength > 0) {
      offset = Math.min(this.#frameBytes - this.#pendingLength, bytes.length);
      this.#pending.set(bytes.subarray(0, offset), this.#pendingLength);
      this.#pendingLength += offset;
      if (this.#pendingLength < this.#frameBytes) return frames;
      frames.push(this.#frameFrom(this.#pending));
      this.#pendingLength = 0;
    }
    for (; offset + this.#frameBytes <= bytes.length; offset += this.#frameBytes) {
      frames.push(this.#frameFrom(bytes.subarray(offset, offset + this.#frameBytes)));
    }
    this.#pending.set(bytes.subarray(offset));
    this.#pendingLength = bytes.length - offset;
    return frames;
  }

  /**
   * Ends the stream: returns what is left as one shorter frame (or nothing), and starts over.
   * Bytes that do not make a whole sample on every channel are dropped with a warning.
   */
  flush(): AudioFrame[] {
    const sampleBytes = this.numChannels * BYTES_PER_SAMPLE;
    const usable = this.#pendingLength - (this.#pendingLength % sampleBytes);
    if (usable < this.#pendingLength) {
      log().warn(
        { droppedBytes: this.#pendingLength - usable, numChannels: this.numChannels },
        'AudioByteStream: the stream ended inside a sample; dropping the incomplete sample',
      );
    }
    this.#pendingLength = 0;
    return usable > 0 ? [this.#frameFrom(this.#pending.subarray(0, usable))] : [];
  }

  /** Copies `bytes` into a fresh, aligned buffer, so the frame shares memory with nothing. */
  #frameFrom(bytes: Uint8Array): AudioFrame {
    // An Int16Array reads in the platform's byte order; every platform Node runs on that
    // rtc-node supports is little-endian, like the PCM we are given, so a plain copy is enough.
    const data = new Int16Array(bytes.length / BYTES_PER_SAMPLE);
    new Uint8Array(data.buffer).set(bytes);
    const samplesPerChannel = data.length / this.numChannels;
    return newAudioFrame(data, this.sampleRate, this.numChannels, samplesPerChannel);
  }
}
