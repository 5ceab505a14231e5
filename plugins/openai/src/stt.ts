import { audio, type plugin, stt, utils } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { type ClientOptions, type LazyClient, resolveClient } from './client.js';
import { toAPIError } from './errors.js';
import type { STTModel } from './models.js';
import { loadSDK } from './sdk.js';

/** The rate the transcription models work at: more only makes the upload bigger. */
const UPLOAD_SAMPLE_RATE = 16_000;

export interface STTOptions extends ClientOptions {
  /** Default `gpt-4o-transcribe`; `whisper-1` and `gpt-4o-mini-transcribe` work too. */
  model?: STTModel;
  /** The language spoken (`en`, `fr-FR`...); faster and more accurate than detection. Default: detect. */
  language?: string;
  /** Words or context the audio is likely to contain (names, jargon). */
  prompt?: string;
}

/**
 * OpenAI speech-to-text through the transcriptions endpoint. It transcribes
 * whole utterances: for live audio, wrap it with a VAD in `stt.StreamAdapter`.
 */
export class STT extends stt.STT {
  readonly label = 'openai.STT';
  readonly model: string;
  readonly #client: LazyClient;
  readonly #connect: plugin.APIConnectOptions;
  readonly #language: string | undefined;
  readonly #prompt: string | undefined;

  constructor(options: STTOptions = {}) {
    super({ streaming: false, interimResults: false });
    ({ client: this.#client, connect: this.#connect } = resolveClient(options, this.label));
    this.model = options.model ?? 'gpt-4o-transcribe';
    this.#language = options.language;
    this.#prompt = options.prompt;
  }

  protected async recognizeImpl(
    frame: AudioFrame,
    options: stt.RecognizeOptions,
  ): Promise<stt.SpeechEvent> {
    const wav = audio.encodeWav(uploadFrames(frame));
    const language = options.language ?? this.#language;
    // Nothing reaches the consumer before the whole answer, so every attempt may be retried.
    const { data, request_id } = await utils.withRetry(
      () => this.#transcribe(wav, language, options.signal),
      utils.retryOptionsFor(this.#connect, { label: this.label, signal: options.signal }),
    );
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      requestId: request_id ?? '',
      alternatives: [
        {
          text: data.text.trim(),
          language: language ?? '',
          // The json answer has no confidence or timings.
          confidence: 0,
          startTime: 0,
          endTime: audio.frameDuration(frame),
        },
      ],
    };
  }

  #transcribe(wav: Uint8Array, language: string | undefined, signal?: AbortSignal) {
    const attempt = { signal, timeoutMs: this.#connect.timeoutMs, label: 'OpenAI' };
    return utils.runAttempt({ ...attempt, toError: toAPIError }, async (deadline) => {
      const openai = await deadline.within(this.#client.get());
      const file = await (await loadSDK()).toFile(wav, 'audio.wav', { type: 'audio/wav' });
      return await deadline.within(
        openai.audio.transcriptions
          .create(
            {
              file,
              model: this.model,
              response_format: 'json',
              // The service takes ISO-639-1 codes only: `en`, not `en-US`.
              ...(language ? { language: language.split(/[-_]/)[0]!.toLowerCase() } : {}),
              ...(this.#prompt ? { prompt: this.#prompt } : {}),
            },
            { signal: deadline.signal, maxRetries: 0 },
          )
          .withResponse(),
      );
    });
  }
}

/** Mono, and at most 16 kHz: the smallest upload that loses nothing the model uses. */
function uploadFrames(frame: AudioFrame): AudioFrame[] {
  const mono = audio.downmixToMono(frame);
  return mono.sampleRate > UPLOAD_SAMPLE_RATE
    ? audio.resampleFrames(mono, UPLOAD_SAMPLE_RATE)
    : [mono];
}
