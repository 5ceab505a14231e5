import type { AudioFrame } from '@livekit/rtc-node';
import { frameDuration, mergeFrames } from '../audio/frames.js';
import type { ConnectionMetrics, ModelEvents, STTMetrics } from '../metrics/base.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import type { SpeechEvent } from './events.js';
import type { SpeechStream } from './speech-stream.js';

export interface STTCapabilities {
  /** `stream()` works; otherwise wrap the STT in `stt.StreamAdapter` with a VAD. */
  streaming: boolean;
  /** Streams report INTERIM_TRANSCRIPT events. */
  interimResults: boolean;
}

export interface RecognizeOptions {
  /** BCP-47 code such as `en-US`; default: the implementation's. */
  language?: string;
  signal?: AbortSignal;
}

export interface SpeechStreamOptions {
  language?: string;
}

/**
 * Speech-to-text. `recognize()` transcribes a finished stretch of audio;
 * `stream()` transcribes live audio. Frames of any sample rate and channel
 * count are accepted: implementations convert to what their provider needs.
 */
export abstract class STT extends TypedEventEmitter<ModelEvents<STTMetrics | ConnectionMetrics>> {
  /** Names the implementation in logs and metrics, e.g. `deepgram.STT`. */
  abstract readonly label: string;
  readonly capabilities: Readonly<STTCapabilities>;

  constructor(capabilities: STTCapabilities) {
    super();
    this.capabilities = Object.freeze({ ...capabilities });
  }

  /** Transcribes `frames` as one utterance and returns a FINAL_TRANSCRIPT event. */
  async recognize(
    frames: AudioFrame | readonly AudioFrame[],
    options: RecognizeOptions = {},
  ): Promise<SpeechEvent> {
    options.signal?.throwIfAborted();
    const frame = mergeFrames(frames);
    const started = performance.now();
    const event = await this.recognizeImpl(frame, options);
    const durationMs = performance.now() - started;
    this.emit('metrics_collected', {
      type: 'stt',
      label: this.label,
      requestId: event.requestId,
      timestamp: Date.now(),
      durationMs,
      audioDurationMs: frameDuration(frame) * 1000,
      latencyToFinalMs: durationMs,
      streamed: false,
    });
    return event;
  }

  /** The provider call behind `recognize()`, given the frames merged into one. */
  protected abstract recognizeImpl(
    frame: AudioFrame,
    options: RecognizeOptions,
  ): Promise<SpeechEvent>;

  /** Opens a live transcription stream. */
  stream(_options: SpeechStreamOptions = {}): SpeechStream {
    throw new Error(
      `${this.label} does not support streaming recognition; ` +
        'wrap it with a VAD: new stt.StreamAdapter({ stt, vad })',
    );
  }

  /** Releases what the implementation holds (connections, sessions). */
  async close(): Promise<void> {}
}
