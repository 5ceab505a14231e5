import type { AudioFrame } from '@livekit/rtc-node';
import { assertPositiveInteger } from '../audio/frames.js';
import type { ConnectionMetrics, ModelEvents, TTSMetrics } from '../metrics/base.js';
import type { TimedWord } from '../stt/events.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import type { ChunkedStream } from './chunked-stream.js';
import type { SynthesizeStream } from './synthesize-stream.js';

/** One frame of synthesized speech. */
export interface SynthesizedAudio {
  requestId: string;
  segmentId: string;
  /** 20 ms of audio at the TTS's sample rate and channel count (the last one may be shorter). */
  frame: AudioFrame;
  /** Text this audio begins to speak, if known: '' on most frames. */
  deltaText: string;
  /**
   * Words whose timings became known with this frame (from the provider's
   * alignment), in seconds from the start of the segment's audio. Absent on
   * most frames, and always for providers that give no alignment.
   */
  words?: TimedWord[];
}

export interface TTSCapabilities {
  /** `stream()` works; otherwise wrap the TTS in `tts.StreamAdapter`. */
  streaming: boolean;
}

export interface TTSInit {
  sampleRate: number;
  numChannels: number;
  capabilities: TTSCapabilities;
}

export interface SynthesizeOptions {
  signal?: AbortSignal;
}

/** Text-to-speech. `synthesize()` speaks a whole text; `stream()` speaks text as it arrives. */
export abstract class TTS extends TypedEventEmitter<ModelEvents<TTSMetrics | ConnectionMetrics>> {
  /** Names the implementation in logs and metrics, e.g. `elevenlabs.TTS`. */
  abstract readonly label: string;
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly capabilities: Readonly<TTSCapabilities>;

  constructor(init: TTSInit) {
    super();
    assertPositiveInteger('TTS sampleRate', init.sampleRate);
    assertPositiveInteger('TTS numChannels', init.numChannels);
    this.sampleRate = init.sampleRate;
    this.numChannels = init.numChannels;
    this.capabilities = Object.freeze({ ...init.capabilities });
  }

  /** Speaks `text` as one segment. */
  abstract synthesize(text: string, options?: SynthesizeOptions): ChunkedStream;

  /** Opens a stream that speaks text pushed a piece at a time. */
  stream(): SynthesizeStream {
    throw new Error(
      `${this.label} does not support streaming synthesis; ` +
        'wrap it: new tts.StreamAdapter({ tts, sentenceTokenizer })',
    );
  }

  /** Releases what the implementation holds (connections). */
  async close(): Promise<void> {}
}
