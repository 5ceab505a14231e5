import type { AudioFrame } from '@livekit/rtc-node';
import { log } from '../log.js';
import { FLUSH } from '../utils/async-stream.js';
import { MetricsRelay } from '../utils/relay.js';
import { type VAD, VADEventType, type VADStream } from '../vad/vad.js';
import { type SpeechEvent, SpeechEventType } from './events.js';
import { SpeechStream } from './speech-stream.js';
import { type RecognizeOptions, type SpeechStreamOptions, STT } from './stt.js';

export interface StreamAdapterOptions {
  /** A non-streaming STT: each utterance is sent to its `recognize()`. */
  stt: STT;
  /** Decides where utterances start and end. */
  vad: VAD;
}

/**
 * Streaming recognition from a non-streaming STT: a VAD cuts the audio into
 * utterances and each one is recognized whole. Per utterance the stream
 * reports START_OF_SPEECH, one FINAL_TRANSCRIPT (none if nothing was
 * recognized), then END_OF_SPEECH with the same transcript.
 *
 * The wrapped STT's metrics are reported on the adapter; it listens to the
 * wrapped STT only while one of its streams is open or a call is under way.
 */
export class StreamAdapter extends STT {
  readonly label: string;
  readonly wrapped: STT;
  readonly vad: VAD;
  readonly #relay: MetricsRelay;

  constructor({ stt, vad }: StreamAdapterOptions) {
    super({ streaming: true, interimResults: false });
    this.wrapped = stt;
    this.vad = vad;
    this.label = `stt.StreamAdapter(${stt.label})`;
    this.#relay = new MetricsRelay(stt, this);
  }

  /** Delegates to the wrapped STT (whose metrics are forwarded). */
  override async recognize(
    frames: AudioFrame | readonly AudioFrame[],
    options?: RecognizeOptions,
  ): Promise<SpeechEvent> {
    const release = this.#relay.hold();
    try {
      return await this.wrapped.recognize(frames, options);
    } finally {
      release();
    }
  }

  protected recognizeImpl(): Promise<SpeechEvent> {
    throw new Error('unreachable: recognize() delegates to the wrapped STT');
  }

  override stream(options: SpeechStreamOptions = {}): SpeechStream {
    return new AdapterStream(this, this.#relay.hold(), options);
  }
}

class AdapterStream extends SpeechStream {
  readonly #adapter: StreamAdapter;

  /** `releaseMetrics` ends this stream's hold on the wrapped STT's metrics. */
  constructor(adapter: StreamAdapter, releaseMetrics: () => void, options: SpeechStreamOptions) {
    super(adapter, { language: options.language, reportMetrics: false });
    this.#adapter = adapter;
    this.whenRunEnds(releaseMetrics);
  }

  protected async run(): Promise<void> {
    const vadStream = this.#adapter.vad.stream();
    const onAbort = () => void vadStream.close();
    this.signal.addEventListener('abort', onAbort, { once: true });
    let failure: { error: unknown } | undefined;
    // Handled from the start: a failure here must end this stream, never go unhandled.
    const forwarding = this.#forwardFrames(vadStream).catch((error: unknown) => {
      failure = { error };
      void vadStream.close();
    });
    try {
      for await (const event of vadStream) {
        if (event.type === VADEventType.START_OF_SPEECH) {
          await this.emit({
            type: SpeechEventType.START_OF_SPEECH,
            alternatives: [],
            requestId: '',
          });
        } else if (event.type === VADEventType.END_OF_SPEECH) {
          await this.#recognizeUtterance(event.frames);
        }
      }
      await forwarding;
      if (failure) throw failure.error;
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      await vadStream.close();
    }
  }

  /**
   * Feeds the pushed audio to the VAD, segment ends and end of input included.
   * It waits for the VAD rather than dropping: this stream's own input is
   * where live audio is dropped, once, if the VAD cannot keep up.
   */
  async #forwardFrames(vadStream: VADStream): Promise<void> {
    for await (const item of this.frames()) {
      if (vadStream.closed) return;
      if (item === FLUSH) vadStream.flush();
      else await vadStream.write(item, { signal: this.signal });
    }
    if (!vadStream.closed) vadStream.endInput();
  }

  async #recognizeUtterance(frames: AudioFrame[]): Promise<void> {
    let alternatives: SpeechEvent['alternatives'] = [];
    let requestId = '';
    try {
      const result = await this.#adapter.wrapped.recognize(frames, {
        language: this.language,
        signal: this.signal,
      });
      requestId = result.requestId;
      if (result.alternatives[0]?.text.trim()) alternatives = result.alternatives;
    } catch (error) {
      if (this.closed) return;
      const failure = error instanceof Error ? error : new Error(String(error));
      log().warn({ err: failure, stt: this.#adapter.wrapped.label }, 'recognize failed; going on');
      this.#adapter.emit('error', { error: failure, recoverable: true });
    }
    if (alternatives.length > 0) {
      await this.emit({ type: SpeechEventType.FINAL_TRANSCRIPT, alternatives, requestId });
    }
    await this.emit({ type: SpeechEventType.END_OF_SPEECH, alternatives, requestId });
  }
}
