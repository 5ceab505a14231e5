import type { AudioFrame } from '@livekit/rtc-node';
import { convertChannels } from '../audio/channels.js';
import { AudioConverter } from '../audio/converter.js';
import { assertPositiveInteger } from '../audio/frames.js';
import { newAudioFrame } from '../audio/rtc.js';
import { log } from '../log.js';
import { FirstFrameProbe } from './mpeg-header.js';
import { createMpg123, decodeQuietly, type MPEGDecodedAudio, type MPEGDecoder } from './mpg123.js';

export interface Mp3DecoderOptions {
  /** Rate of the frames out, in Hz. Default: the stream's own rate. */
  sampleRate?: number;
  /** Channels of the frames out (stereo is averaged to mono). Default: the stream's own. */
  numChannels?: number;
  /**
   * How many bytes may go in without any audio coming out before the stream is declared not
   * MP3: an error body, the wrong format requested, or an ID3 tag bigger than this. Default
   * 1 MiB, far above an MP3 frame (at most 2,881 bytes) and the tags speech services send;
   * raise it for files with large embedded pictures.
   */
  maxUndecodedBytes?: number;
}

/** The input is not MP3 audio (or mpg123 failed on it); the decoder is unusable after it. */
export class Mp3DecodeError extends Error {
  override name = 'Mp3DecodeError';
}

const DEFAULT_MAX_UNDECODED_BYTES = 1024 * 1024;
/** Corrupt frames are logged at most this often per decoder, with a count. */
const WARN_INTERVAL_MS = 5_000;

/**
 * A streaming MP3 (MPEG-1/2/2.5 layer I-III) decoder: bytes in as they arrive, in chunks cut
 * anywhere (mid-frame, mid-ID3-tag), 16-bit `AudioFrame`s out. Mono and stereo streams keep
 * their channels unless `numChannels` says otherwise; `sampleRate` resamples with the native
 * resampler. Built on mpg123 compiled to WASM (mpg123-decoder), loaded at the first `create()`.
 *
 * ```ts
 * const decoder = await codecs.Mp3Decoder.create({ sampleRate: 24000 });
 * try {
 *   for await (const chunk of response.body) for (const frame of decoder.push(chunk)) play(frame);
 *   for (const frame of decoder.flush()) play(frame);
 * } finally {
 *   decoder.close();
 * }
 * ```
 *
 * Corrupt data inside a stream is skipped with a warning (the audio has a gap there, and
 * `decodeErrors` counts it): one bad frame from the network should not silence a whole reply.
 * Input that yields no audio at all, for more than `maxUndecodedBytes` or by `flush()`, throws
 * an Mp3DecodeError: there is nothing to play and the cause needs fixing. A frame cut short at
 * the very end of the input is dropped (mpg123 needs whole frames): at most one frame (26 ms
 * at 44.1 kHz). Memory is bounded: nothing is held in JavaScript between pushes but under
 * 3 KiB of the first frame, and mpg123 holds at most the undecoded tail of what was pushed,
 * itself capped by `maxUndecodedBytes`. Each decoder owns a WASM instance (about 16 MB of
 * WASM memory, measured), so `close()` it.
 */
export class Mp3Decoder {
  /**
   * Loads the WASM decoder (once per process) and returns a decoder ready for `push()`: an
   * async factory instead of a constructor, so no decoder exists that is not ready yet.
   */
  static async create(options: Mp3DecoderOptions = {}): Promise<Mp3Decoder> {
    if (options.sampleRate !== undefined) assertPositiveInteger('sampleRate', options.sampleRate);
    if (options.numChannels !== undefined) {
      assertPositiveInteger('numChannels', options.numChannels);
    }
    const maxUndecodedBytes = options.maxUndecodedBytes ?? DEFAULT_MAX_UNDECODED_BYTES;
    assertPositiveInteger('maxUndecodedBytes', maxUndecodedBytes);
    return new Mp3Decoder(await createMpg123(), { ...options, maxUndecodedBytes });
  }

  readonly #mpg123: MPEGDecoder;
  readonly #options: Mp3DecoderOptions & { maxUndecodedBytes: number };
  #probe: FirstFrameProbe | undefined = new FirstFrameProbe();
  /** The stream's channel count, fixed by its first frame. */
  #channels: number | undefined;
  #sampleRate: number | undefined;
  #converter: AudioConverter | undefined;
  #bytesIn = 0;
  #bytesSinceAudio = 0;
  #samplesOut = 0;
  #decodeErrors = 0;
  #errorsNotLogged = 0;
  #lastWarnAt: number | undefined;
  #failure: Mp3DecodeError | undefined;
  #closed = false;

  private constructor(
    mpg123: MPEGDecoder,
    options: Mp3DecoderOptions & { maxUndecodedBytes: number },
  ) {
    this.#mpg123 = mpg123;
    this.#options = options;
  }

  /** The stream's own rate and channels, known once the first frame has been decoded. */
  get sourceFormat(): { sampleRate: number; numChannels: number } | undefined {
    if (this.#sampleRate === undefined || this.#channels === undefined) return undefined;
    return { sampleRate: this.#sampleRate, numChannels: this.#channels };
  }

  /** Corrupt spots skipped so far (each one is a gap in the audio). */
  get decodeErrors(): number {
    return this.#decodeErrors;
  }

  /** Decodes what `bytes` completes; returns the frames ready, often none for a small chunk. */
  push(bytes: Uint8Array): AudioFrame[] {
    this.#assertUsable('push');
    if (bytes.length === 0) return [];
    this.#probe?.push(bytes);
    let decoded: MPEGDecodedAudio;
    try {
      decoded = decodeQuietly(this.#mpg123, bytes);
    } catch (error) {
      throw this.#fail(`mpg123 failed to decode: ${String(error)}`, error);
    }
    this.#bytesIn += bytes.length;
    if (decoded.errors.length > 0) {
      this.#noteErrors(decoded.errors.length, decoded.errors[0]?.message);
    }
    if (decoded.samplesDecoded === 0 || this.#isFalseSync(decoded)) {
      this.#bytesSinceAudio += bytes.length;
      if (this.#bytesSinceAudio > this.#options.maxUndecodedBytes) {
        throw this.#fail(
          `no MP3 audio in the last ${this.#bytesSinceAudio} bytes ` +
            `(maxUndecodedBytes is ${this.#options.maxUndecodedBytes}): the input is not MP3 ` +
            '(an error body? another format requested?), or holds an ID3 tag larger than ' +
            'maxUndecodedBytes: raise it for files with big embedded pictures',
        );
      }
      return [];
    }
    this.#bytesSinceAudio = 0;
    this.#samplesOut += decoded.samplesDecoded;
    return this.#convert(this.#toFrame(decoded));
  }

  /**
   * Ends the input: returns what the resampler still holds. Throws an Mp3DecodeError when bytes
   * went in and no audio came out. The decoder stays usable: more bytes continue the stream.
   */
  flush(): AudioFrame[] {
    this.#assertUsable('flush');
    if (this.#bytesIn > 0 && this.#samplesOut === 0) {
      throw this.#fail(
        `no MP3 audio in ${this.#bytesIn} bytes: the input is not MP3, or ends before its first ` +
          'whole frame',
      );
    }
    if (this.#errorsNotLogged > 0) this.#warn(this.#errorsNotLogged, undefined);
    return this.#converter?.flush() ?? [];
  }

  /** Frees the WASM decoder and the resampler. Audio not yet flushed is dropped. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#converter?.close();
    this.#converter = undefined;
    this.#probe = undefined;
    try {
      this.#mpg123.free();
    } catch {
      // A decoder that failed half-way may have freed its buffers already: nothing left to do.
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * mpg123 takes any header it finds after junk, so noise can decode as "frames" at another
   * rate; a decode() call also labels all its samples with the last frame's rate. A rate that
   * differs from the stream's is therefore dropped as corrupt. A stream that truly changes rate
   * (files joined together) then yields nothing and ends in an Mp3DecodeError at
   * maxUndecodedBytes: speech services do not send those.
   */
  #isFalseSync(decoded: MPEGDecodedAudio): boolean {
    if (this.#sampleRate === undefined || decoded.sampleRate === this.#sampleRate) return false;
    this.#noteErrors(1, `a frame at ${decoded.sampleRate} Hz in a ${this.#sampleRate} Hz stream`);
    return true;
  }

  #toFrame(decoded: MPEGDecodedAudio): AudioFrame {
    // mpg123-decoder always returns two channels; a mono stream comes out as two equal ones.
    if (this.#channels === undefined) {
      this.#channels = this.#probe?.header?.channels ?? decoded.channelData.length;
      this.#probe = undefined;
    }
    this.#sampleRate ??= decoded.sampleRate;
    const channels = Math.min(this.#channels, decoded.channelData.length);
    const samples = decoded.samplesDecoded;
    const pcm = new Int16Array(samples * channels);
    for (let c = 0; c < channels; c++) {
      const input = decoded.channelData[c];
      for (let i = 0, at = c; i < samples; i++, at += channels) pcm[at] = toInt16(input[i]);
    }
    return newAudioFrame(pcm, decoded.sampleRate, channels, samples);
  }

  #convert(frame: AudioFrame): AudioFrame[] {
    const { sampleRate, numChannels } = this.#options;
    if (sampleRate === undefined) {
      return [numChannels === undefined ? frame : convertChannels(frame, numChannels)];
    }
    this.#converter ??= new AudioConverter({
      sampleRate,
      numChannels: numChannels ?? frame.channels,
    });
    return this.#converter.push(frame);
  }

  #noteErrors(count: number, message: string | undefined): void {
    this.#decodeErrors += count;
    this.#errorsNotLogged += count;
    const now = Date.now();
    if (this.#lastWarnAt === undefined || now - this.#lastWarnAt >= WARN_INTERVAL_MS) {
      this.#lastWarnAt = now;
      this.#warn(this.#errorsNotLogged, message);
    }
  }

  #warn(count: number, firstError: string | undefined): void {
    this.#errorsNotLogged = 0;
    log().warn(
      { corruptSpots: count, error: firstError, inputBytes: this.#bytesIn },
      'MP3 stream: skipped corrupt data (the audio has gaps there)',
    );
  }

  #fail(message: string, cause?: unknown): Mp3DecodeError {
    this.#failure = new Mp3DecodeError(message, cause === undefined ? undefined : { cause });
    return this.#failure;
  }

  #assertUsable(operation: string): void {
    if (this.#closed) {
      throw new Error(`Mp3Decoder.${operation}() called after close(); create a new decoder`);
    }
    if (this.#failure) throw this.#failure;
  }
}

function toInt16(sample: number): number {
  // Int16Array stores modulo 2^16, so an out-of-range float would wrap around: clamp first.
  if (sample >= 1) return 32767;
  if (sample <= -1) return -32768;
  return Math.round(sample < 0 ? sample * 32768 : sample * 32767);
}

/**
 * Decodes an MP3 byte stream (a fetch body, a Node stream, an SDK's chunks) into frames as they
 * become ready. Leaving the loop early (`break`, `return`, a throw) closes the decoder and
 * calls the source's `return()`, so upstream reading stops.
 */
export async function* decodeMp3Stream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: Mp3DecoderOptions = {},
): AsyncGenerator<AudioFrame, void, undefined> {
  const decoder = await Mp3Decoder.create(options);
  try {
    for await (const chunk of source) yield* decoder.push(chunk);
    yield* decoder.flush();
  } finally {
    decoder.close();
  }
}
