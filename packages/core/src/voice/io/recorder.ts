import type { AudioFrame } from '@livekit/rtc-node';
import { newAudioFrame } from '../../audio/rtc.js';
import { writeWavFile } from '../../audio/wav.js';
import { log } from '../../log.js';

export type Speaker = 'user' | 'agent';

export interface ConversationRecorderOptions {
  /** Rate of the recording, in Hz; mono audio written to it must be at this rate. */
  sampleRate: number;
  /** Longest recording kept; later audio is dropped and counted (default 30 minutes). */
  maxSeconds?: number;
}

const DEFAULT_MAX_SECONDS = 30 * 60;
const INITIAL_SECONDS = 10;

/**
 * The whole conversation on one timeline, as a listener would have heard it:
 * the user on the left channel, the agent on the right, silence where nobody
 * speaks. Time zero is the first thing written (`origin`); a writer places
 * audio by the clock time (ms) its first sample was heard, then appends
 * contiguously from the sample index it was given back, so rounding never
 * opens a gap or an overlap inside a stream.
 */
export class ConversationRecorder {
  readonly sampleRate: number;
  readonly maxSamples: number;
  #origin: number | undefined;
  #channels: Record<Speaker, Int16Array> = {
    user: new Int16Array(0),
    agent: new Int16Array(0),
  };
  #length = 0;
  #droppedSamples = 0;

  constructor(options: ConversationRecorderOptions) {
    this.sampleRate = options.sampleRate;
    this.maxSamples = Math.round((options.maxSeconds ?? DEFAULT_MAX_SECONDS) * this.sampleRate);
  }

  /** Clock time (ms) of sample 0, once anything was written or `start` was called. */
  get origin(): number | undefined {
    return this.#origin;
  }

  /** Samples per channel recorded so far. */
  get length(): number {
    return this.#length;
  }

  /** Samples that fell past `maxSeconds` and were not kept. */
  get droppedSamples(): number {
    return this.#droppedSamples;
  }

  /** Fixes time zero, if nothing has yet. */
  start(at: number): void {
    this.#origin ??= at;
  }

  /** The sample index of clock time `at` (ms), fixing time zero there if it is unset. */
  indexAt(at: number): number {
    this.start(at);
    return Math.round(((at - (this.#origin as number)) * this.sampleRate) / 1000);
  }

  /** Adds mono samples to one channel from sample `index` on (mixed with what is there). */
  write(speaker: Speaker, index: number, samples: Int16Array): void {
    let from = 0;
    if (index < 0) from = -index; // before time zero: not on the timeline
    const start = Math.max(0, index);
    const end = Math.min(index + samples.length, this.maxSamples);
    if (end < index + samples.length) this.#drop(index + samples.length - Math.max(end, start));
    if (end <= start) return;
    const channel = this.#ensure(speaker, end);
    for (let i = start, j = from; i < end; i++, j++) {
      channel[i] = clamp16(channel[i]! + samples[j]!);
    }
    this.#length = Math.max(this.#length, end);
  }

  /** The recording so far as one stereo frame (left: user, right: agent). */
  toFrame(): AudioFrame {
    const length = Math.max(1, this.#length);
    const data = new Int16Array(length * 2);
    const { user, agent } = this.#channels;
    for (let i = 0; i < this.#length; i++) {
      data[2 * i] = user[i] ?? 0;
      data[2 * i + 1] = agent[i] ?? 0;
    }
    return newAudioFrame(data, this.sampleRate, 2, length);
  }

  /** Writes the recording as a 16-bit stereo WAV file. */
  async save(path: string): Promise<void> {
    await writeWavFile(path, this.toFrame());
  }

  #ensure(speaker: Speaker, length: number): Int16Array {
    const current = this.#channels[speaker];
    if (current.length >= length) return current;
    const grown = new Int16Array(
      Math.min(
        this.maxSamples,
        Math.max(length, current.length * 2, INITIAL_SECONDS * this.sampleRate),
      ),
    );
    grown.set(current);
    this.#channels[speaker] = grown;
    return grown;
  }

  #drop(samples: number): void {
    if (this.#droppedSamples === 0) {
      log().warn(
        { maxSeconds: this.maxSamples / this.sampleRate },
        'the conversation recording is full: later audio is not recorded',
      );
    }
    this.#droppedSamples += samples;
  }
}

/** Clips a mixed sample to the 16-bit range. */
export function clamp16(value: number): number {
  return Math.min(32767, Math.max(-32768, value));
}
