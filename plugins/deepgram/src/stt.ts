import { audio, stt, utils } from '@agents/core';
import type { DeepgramClient, ListenV1Response, listen } from '@deepgram/sdk';
import type { AudioFrame } from '@livekit/rtc-node';
import { type SdkErrors, toAPIError } from './errors.js';
import {
  prerecordedParams,
  type ResolvedOptions,
  resolveOptions,
  restBaseURL,
  type STTOptions,
  type UpdatableOptions,
  updateOptions,
} from './options.js';
import { DeepgramSpeechStream } from './stream.js';

/**
 * Deepgram speech-to-text: `stream()` transcribes live audio over one websocket
 * per stream (interim and final transcripts with word timings, start and end of
 * speech) that survives drops without losing audio; `recognize()` transcribes
 * a finished utterance through the pre-recorded endpoint.
 */
export class STT extends stt.STT {
  readonly label = 'deepgram.STT';
  #options: ResolvedOptions;
  #version = 0;
  #rest: { client: DeepgramClient; errors: SdkErrors } | undefined;

  constructor(options: STTOptions = {}) {
    const resolved = resolveOptions(options, 'deepgram.STT');
    super({ streaming: true, interimResults: resolved.interimResults });
    this.#options = resolved;
  }

  get model(): string {
    return this.#options.model;
  }

  /**
   * Changes options for what comes next: `recognize()` calls from now on, and
   * open streams from their next connection, which they open between
   * utterances (no audio is lost, no utterance cut). Checked as a whole, like
   * the constructor's; on a mistake nothing changes.
   */
  updateOptions(update: UpdatableOptions): void {
    this.#options = updateOptions(this.#options, update, this.label);
    this.#version++;
  }

  override stream(options: stt.SpeechStreamOptions = {}): stt.SpeechStream {
    return new DeepgramSpeechStream(this, {
      label: this.label,
      language: options.language ?? this.#options.language,
      currentOptions: () => ({ options: this.#options, version: this.#version }),
      onMetrics: (metrics) => this.emit('metrics_collected', metrics),
    });
  }

  protected async recognizeImpl(
    frame: AudioFrame,
    options: stt.RecognizeOptions,
  ): Promise<stt.SpeechEvent> {
    const opts = this.#options;
    const language = options.language ?? opts.language;
    const wav = audio.encodeWav(audio.downmixToMono(frame));
    const { client, errors } = await this.#restClient(opts);
    const connect = opts.connectOptions;
    // Nothing reaches the consumer before the whole answer, so every attempt may be retried.
    const response = await utils.withRetry(
      () =>
        utils.runAttempt(
          {
            signal: options.signal,
            timeoutMs: connect.timeoutMs,
            label: 'Deepgram',
            toError: (error, deadline) => toAPIError(error, deadline, errors),
          },
          (deadline) =>
            deadline.within(
              client.listen.v1.media.transcribeFile(wav, prerecordedParams(opts, language), {
                abortSignal: deadline.signal,
                // Retries happen once, in withRetry; the deadline is ours (the SDK's is a backstop).
                maxRetries: 0,
                timeoutInSeconds: Math.ceil(connect.timeoutMs / 1000) + 5,
                headers: { 'Content-Type': 'audio/wav' },
              }),
            ),
        ),
      utils.retryOptionsFor(connect, { label: this.label, signal: options.signal }),
    );
    return toSpeechEvent(response, language, audio.frameDuration(frame));
  }

  /**
   * The SDK's REST client, loaded on first use: the SDK takes about half a second
   * to import, which a stream-only agent need not pay.
   */
  async #restClient(opts: ResolvedOptions): Promise<{ client: DeepgramClient; errors: SdkErrors }> {
    if (!this.#rest) {
      const { DeepgramClient, DeepgramError, DeepgramTimeoutError } = await import('@deepgram/sdk');
      const client = new DeepgramClient({
        apiKey: opts.apiKey,
        baseUrl: restBaseURL(opts),
        maxRetries: 0,
      });
      this.#rest = { client, errors: { DeepgramError, DeepgramTimeoutError } };
    }
    return this.#rest;
  }
}

function toSpeechEvent(
  response: listen.v1.MediaTranscribeResponse,
  language: string,
  duration: number,
): stt.SpeechEvent {
  // Only a request with `callback` gets the short `{request_id}` answer; we never send one.
  const full = response as ListenV1Response;
  const channel = full.results?.channels?.[0];
  const alternatives: stt.SpeechData[] = (channel?.alternatives ?? []).map((alternative) => {
    const words: stt.TimedWord[] = (alternative.words ?? []).map((w) => ({
      // Sent with punctuate/smart_format, though the SDK's response type leaves it out.
      text: (w as { punctuated_word?: string }).punctuated_word ?? w.word ?? '',
      startTime: w.start ?? 0,
      endTime: w.end ?? 0,
      confidence: w.confidence,
    }));
    return {
      text: (alternative.transcript ?? '').trim(),
      language: channel?.detected_language ?? language,
      confidence: alternative.confidence ?? 0,
      startTime: words[0]?.startTime ?? 0,
      endTime: words.at(-1)?.endTime ?? duration,
      words,
    };
  });
  return {
    type: stt.SpeechEventType.FINAL_TRANSCRIPT,
    requestId: full.metadata?.request_id ?? '',
    alternatives,
  };
}
