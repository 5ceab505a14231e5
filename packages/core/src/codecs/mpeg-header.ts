/**
 * MPEG audio frame headers, read only to learn a stream's channel count: mpg123-decoder always
 * hands back two channels (a mono stream comes out duplicated), so the decoder itself cannot
 * say whether the source was mono.
 */

export interface MpegFrameHeader {
  sampleRate: number;
  channels: 1 | 2;
  /** Bytes of the whole frame, header included; 0 for free-format streams. */
  frameLength: number;
  version: number;
  layer: number;
}

// Index [version === MPEG-1 ? 0 : 1][layer 1..3 - 1][bitrate index], in kbit/s.
const BITRATES = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
] as const;

// Index by the header's version bits: 0 MPEG-2.5, 1 reserved, 2 MPEG-2, 3 MPEG-1.
const SAMPLE_RATES = [[11025, 12000, 8000], [], [22050, 24000, 16000], [44100, 48000, 32000]];

const MPEG1 = 3;

/** Parses the 4-byte header at `at`, or returns undefined when those bytes are not one. */
function parseFrameHeader(data: Uint8Array, at: number): MpegFrameHeader | undefined {
  if (at + 4 > data.length) return undefined;
  const b1 = data[at + 1];
  const b2 = data[at + 2];
  if (data[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (version === 1 || layerBits === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const layer = 4 - layerBits;
  const sampleRate = SAMPLE_RATES[version][rateIndex];
  const kbps = BITRATES[version === MPEG1 ? 0 : 1][layer - 1][bitrateIndex];
  const padding = (b2 >> 1) & 1;
  const channels = data[at + 3] >> 6 === 3 ? 1 : 2;
  let frameLength = 0;
  if (kbps > 0) {
    const bitsPerSecond = kbps * 1000;
    if (layer === 1) frameLength = (Math.floor((12 * bitsPerSecond) / sampleRate) + padding) * 4;
    else if (layer === 3 && version !== MPEG1) {
      frameLength = Math.floor((72 * bitsPerSecond) / sampleRate) + padding;
    } else frameLength = Math.floor((144 * bitsPerSecond) / sampleRate) + padding;
  }
  return { sampleRate, channels, frameLength, version, layer };
}

/**
 * Finds the first real frame header in a byte stream fed in arbitrary chunks: ID3v2 tags are
 * skipped by their declared size, and a candidate counts only when another header of the same
 * kind follows where its length says (a lone 0xFFE bit pattern in junk does not). It keeps at
 * most one candidate frame plus a few bytes (under 3 KiB), and nothing once it has an answer.
 */
export class FirstFrameProbe {
  #found: MpegFrameHeader | undefined;
  #pending = new Uint8Array(0);
  #skip = 0;

  /** The confirmed first header, or the candidate still waiting for its successor. */
  get header(): MpegFrameHeader | undefined {
    return this.#found ?? parseFrameHeader(this.#pending, 0);
  }

  push(bytes: Uint8Array): void {
    if (this.#found) return;
    const data = this.#pending.length > 0 ? concat(this.#pending, bytes) : bytes;
    let at = 0;
    while (at < data.length) {
      if (this.#skip > 0) {
        const skipped = Math.min(this.#skip, data.length - at);
        at += skipped;
        this.#skip -= skipped;
        continue;
      }
      if (isId3Start(data, at)) {
        if (at + 10 > data.length) break;
        this.#skip = id3Size(data, at);
        continue;
      }
      const header = parseFrameHeader(data, at);
      if (header) {
        // Free format has no length to check against: take it.
        if (header.frameLength === 0) {
          this.#settle(header);
          return;
        }
        const next = at + header.frameLength;
        if (next + 4 > data.length) break;
        const following = parseFrameHeader(data, next);
        if (following && sameKind(header, following)) {
          this.#settle(header);
          return;
        }
      } else if (at + 4 > data.length) break;
      at++;
    }
    // A copy: holding a view would pin the caller's whole chunk.
    this.#pending = data.slice(at);
  }

  #settle(header: MpegFrameHeader): void {
    this.#found = header;
    this.#pending = new Uint8Array(0);
  }
}

function sameKind(a: MpegFrameHeader, b: MpegFrameHeader): boolean {
  return a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate;
}

const ID3_TAG = [0x49, 0x44, 0x33];

function isId3Start(data: Uint8Array, at: number): boolean {
  // "ID3", compared as far as the bytes go, so a tag split after "I" is still waited for.
  for (let i = 0; i < ID3_TAG.length; i++) {
    if (at + i >= data.length) return true;
    if (data[at + i] !== ID3_TAG[i]) return false;
  }
  return true;
}

/** Size of the whole ID3v2 tag: 10-byte header, syncsafe body size, optional 10-byte footer. */
function id3Size(data: Uint8Array, at: number): number {
  const body =
    (data[at + 6] & 0x7f) * 2 ** 21 +
    (data[at + 7] & 0x7f) * 2 ** 14 +
    (data[at + 8] & 0x7f) * 2 ** 7 +
    (data[at + 9] & 0x7f);
  const footer = data[at + 5] & 0x10 ? 10 : 0;
  return 10 + body + footer;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
