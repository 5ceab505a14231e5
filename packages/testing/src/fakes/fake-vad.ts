import { audio, utils, vad } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { Script } from './script.js';

/** A stretch of speech, in milliseconds of the stream's audio. */
export interface FakeSpeechRegion {
  startMs: number;
  endMs: number;
}

/** One stream's script: its speech, and how it fails, if it does. */
export interface FakeVADStreamScript {
  regions: FakeSpeechRegion[];
  /**
   * The stream fails with `error` at the first window ending at or after
   * `atAudioMs` (before that window's events): a model crash mid-turn.
   */
  failure?: { atAudioMs: number; error: Error };
}

export interface FakeVADOptions {
  /** One script per `stream()` call: its speech regions, or the regions and a failure. */
  streams: (FakeSpeechRegion[] | FakeVADStreamScript)[];
  /** Audio per inference window. Default 32 ms (Silero's 512 samples at 16 kHz). */
  windowMs?: number;
  /** Audio before the start of speech included in the event frames. Default 0. */
  prefixPaddingMs?: number;
  /** Reported inference time per window. Default 0.1 ms. */
  inferenceMs?: number;
  label?: string;
}

/**
 * A VAD whose speech is a script of regions in audio time: it emits one
 * INFERENCE_DONE per window, START_OF_SPEECH when a window reaches a region's
 * start and END_OF_SPEECH when it reaches its end, with the frames pushed in
 * between (whole frames, padding included).
 */
export class FakeVAD extends vad.VAD {
  readonly label: string;
  readonly #streams: Script<FakeSpeechRegion[] | FakeVADStreamScript>;
  readonly #options: Required<Omit<FakeVADOptions, 'streams' | 'label'>>;

  constructor(options: FakeVADOptions) {
    const windowMs = options.windowMs ?? 32;
    super({ updateInterval: windowMs / 1000 });
    this.label = options.label ?? 'fake.VAD';
    this.#streams = new Script(`${this.label} stream`, options.streams);
    this.#options = {
      windowMs,
      prefixPaddingMs: options.prefixPaddingMs ?? 0,
      inferenceMs: options.inferenceMs ?? 0.1,
    };
  }

  stream(): vad.VADStream {
    const script = this.#streams.next('stream() call');
    return new FakeVADStream(
      this,
      Array.isArray(script) ? { regions: script } : script,
      this.#options,
    );
  }

  assertDone(): void {
    this.#streams.assertDone();
  }
}

interface TimedFrame {
  frame: AudioFrame;
  startMs: number;
  endMs: number;
}

class FakeVADStream extends vad.VADStream {
  readonly #regions: FakeSpeechRegion[];
  readonly #failure: FakeVADStreamScript['failure'];
  readonly #options: Required<Omit<FakeVADOptions, 'streams' | 'label'>>;
  #frames: TimedFrame[] = [];

  constructor(
    owner: FakeVAD,
    script: FakeVADStreamScript,
    options: Required<Omit<FakeVADOptions, 'streams' | 'label'>>,
  ) {
    super(owner);
    this.#regions = script.regions;
    this.#failure = script.failure;
    this.#options = options;
  }

  protected async run(): Promise<void> {
    const { windowMs } = this.#options;
    let pushedMs = 0;
    let pushedSamples = 0;
    let doneMs = 0;
    let speaking: FakeSpeechRegion | undefined;
    for await (const item of this.frames()) {
      if (item === utils.FLUSH) continue;
      const durationMs = audio.frameDuration(item) * 1000;
      this.#frames.push({ frame: item, startMs: pushedMs, endMs: pushedMs + durationMs });
      pushedMs += durationMs;
      pushedSamples += item.samplesPerChannel;
      while (doneMs + windowMs <= pushedMs + 1e-6) {
        doneMs += windowMs;
        if (this.#failure && doneMs >= this.#failure.atAudioMs) throw this.#failure.error;
        const base = {
          samplesIndex: Math.round((pushedSamples * doneMs) / pushedMs),
          timestamp: doneMs / 1000,
          probability: 0,
          inferenceDurationMs: this.#options.inferenceMs,
          frames: [] as AudioFrame[],
        };
        let ended: FakeSpeechRegion | undefined;
        if (speaking && doneMs >= speaking.endMs) {
          ended = speaking;
          speaking = undefined;
          if (!(await this.#emit(base, vad.VADEventType.END_OF_SPEECH, ended, doneMs))) return;
        }
        const region = this.#regions.find((r) => r.startMs < doneMs && doneMs < r.endMs);
        if (!speaking && region && region !== ended) {
          speaking = region;
          if (!(await this.#emit(base, vad.VADEventType.START_OF_SPEECH, region, doneMs))) return;
        }
        base.probability = speaking ? 1 : 0;
        const state = { ...base, speaking: speaking !== undefined };
        const speechDuration = speaking ? (doneMs - speaking.startMs) / 1000 : 0;
        const ok = await this.emit({
          ...state,
          type: vad.VADEventType.INFERENCE_DONE,
          speechDuration,
          silenceDuration: speaking ? 0 : this.#silenceSince(doneMs),
        });
        if (!ok) return;
        if (!speaking) this.#dropFramesBefore(doneMs - this.#options.prefixPaddingMs - windowMs);
      }
    }
    // Input ended mid-utterance: close it, so the speech is not lost.
    if (speaking) {
      const base = {
        samplesIndex: pushedSamples,
        timestamp: pushedMs / 1000,
        probability: 0,
        inferenceDurationMs: 0,
        frames: [],
      };
      await this.#emit(base, vad.VADEventType.END_OF_SPEECH, speaking, pushedMs);
    }
  }

  async #emit(
    base: Omit<vad.VADEvent, 'type' | 'speaking' | 'speechDuration' | 'silenceDuration'>,
    type: vad.VADEventType,
    region: FakeSpeechRegion,
    nowMs: number,
  ): Promise<boolean> {
    const from = region.startMs - this.#options.prefixPaddingMs;
    const frames = this.#frames
      .filter((f) => f.endMs > from && f.startMs < nowMs)
      .map((f) => f.frame);
    const start = type === vad.VADEventType.START_OF_SPEECH;
    return this.emit({
      ...base,
      type,
      frames,
      probability: start ? 1 : 0,
      speaking: start,
      speechDuration: (Math.min(nowMs, region.endMs) - region.startMs) / 1000,
      silenceDuration: start ? 0 : Math.max(0, nowMs - region.endMs) / 1000,
    });
  }

  #silenceSince(nowMs: number): number {
    const last = this.#regions.filter((r) => r.endMs <= nowMs).at(-1);
    return (nowMs - (last?.endMs ?? 0)) / 1000;
  }

  #dropFramesBefore(ms: number): void {
    this.#frames = this.#frames.filter((f) => f.endMs > ms);
  }
}
