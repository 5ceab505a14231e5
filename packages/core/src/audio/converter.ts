import type { AudioFrame, AudioResampler, AudioResamplerQuality } from '@livekit/rtc-node';
import { convertChannels } from './channels.js';
import { assertPositiveInteger, isFrameList } from './frames.js';
import { newAudioFrame, rtc } from './rtc.js';

export interface AudioConverterOptions {
  /** Rate of every frame that comes out, in Hz. */
  sampleRate: number;
  /** Channels of every frame that comes out (input is mixed down or copied up to this). */
  numChannels: number;
  /** Default: MEDIUM, rtc-node's default, plenty for speech. */
  quality?: AudioResamplerQuality;
}

/**
 * Turns frames of any sample rate and channel count into frames of one format, resampling with
 * rtc-node's native resampler. STT and VAD plugins put one in front of their input.
 *
 * A resampler keeps state between frames, so use one converter per stream and `close()` it.
 * Frames that already match pass through untouched (the same object, not a copy). When the
 * input rate changes mid-stream, the old resampler is flushed (its tail is emitted first) and a
 * new one starts: the join may click, but no audio is lost or reordered.
 */
export class AudioConverter {
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly quality: AudioResamplerQuality;
  #inputRate: number | undefined;
  /** Exists only while the input rate differs from the output rate. */
  #resampler: AudioResampler | undefined;
  #closed = false;

  constructor(options: AudioConverterOptions) {
    assertPositiveInteger('sampleRate', options.sampleRate);
    assertPositiveInteger('numChannels', options.numChannels);
    this.sampleRate = options.sampleRate;
    this.numChannels = options.numChannels;
    this.quality = options.quality ?? rtc().AudioResamplerQuality.MEDIUM;
  }

  /** Converts one frame; returns what is ready, which may be nothing while the resampler fills. */
  push(frame: AudioFrame): AudioFrame[] {
    this.#assertOpen('push');
    // The native resampler's own error for a bad rate is just "null pointer".
    assertPositiveInteger('frame.sampleRate', frame.sampleRate);
    assertPositiveInteger('frame.channels', frame.channels);
    // Channels first: the usual job is stereo to mono, and mono halves the resampling work.
    const converted = convertChannels(frame, this.numChannels);
    const output: AudioFrame[] = [];
    if (converted.sampleRate !== this.#inputRate) {
      output.push(...this.#endResampler());
      this.#inputRate = converted.sampleRate;
      if (converted.sampleRate !== this.sampleRate) {
        this.#resampler = new (rtc().AudioResampler)(
          converted.sampleRate,
          this.sampleRate,
          this.numChannels,
          this.quality,
        );
      }
    }
    if (this.#resampler === undefined) {
      output.push(converted);
    } else {
      output.push(...nonEmpty(this.#resampler.push(readableByNative(converted))));
    }
    return output;
  }

  /**
   * Emits the audio still inside the resampler; call it at the end of the input (or of an
   * utterance). The converter stays usable: the next push starts a fresh segment.
   */
  flush(): AudioFrame[] {
    this.#assertOpen('flush');
    // rtc-node's resampler starts over after a flush, so it can be kept for the next segment.
    return this.#resampler ? nonEmpty(this.#resampler.flush()) : [];
  }

  /** Frees the native resampler. Audio not yet flushed is dropped. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#resampler?.close();
    this.#resampler = undefined;
  }

  /** `using converter = new AudioConverter(...)` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  #endResampler(): AudioFrame[] {
    const resampler = this.#resampler;
    if (resampler === undefined) return [];
    this.#resampler = undefined;
    try {
      return nonEmpty(resampler.flush());
    } finally {
      resampler.close();
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed) {
      throw new Error(`AudioConverter.${operation}() called after close(); create a new converter`);
    }
  }
}

/**
 * Resamples a finite list of frames in one go (flushing at the end) and frees the resampler.
 * Channels are kept as the first frame has them. For a live stream, use an AudioConverter.
 */
export function resampleFrames(
  frames: AudioFrame | readonly AudioFrame[],
  sampleRate: number,
  quality?: AudioResamplerQuality,
): AudioFrame[] {
  const list = isFrameList(frames) ? frames : [frames];
  const first = list[0];
  if (first === undefined) return [];
  const converter = new AudioConverter({ sampleRate, numChannels: first.channels, quality });
  try {
    const output = list.flatMap((frame) => converter.push(frame));
    output.push(...converter.flush());
    return output;
  } finally {
    converter.close();
  }
}

/**
 * rtc-node hands the native side a pointer to the start of `data.buffer`, ignoring
 * `byteOffset`, and a length of `data.byteLength` (checked with 1.1.0). So a frame that is a
 * view into a larger buffer is copied, and data longer than the frame declares is cut.
 */
function readableByNative(frame: AudioFrame): AudioFrame {
  const { data, sampleRate, channels, samplesPerChannel } = frame;
  const length = channels * samplesPerChannel;
  if (data.byteOffset === 0 && data.length === length) return frame;
  const exact = data.byteOffset === 0 ? data.subarray(0, length) : data.slice(0, length);
  return newAudioFrame(exact, sampleRate, channels, samplesPerChannel);
}

function nonEmpty(frames: AudioFrame[]): AudioFrame[] {
  return frames.filter((frame) => frame.samplesPerChannel > 0);
}
