import { APIConnectionError, APIError, tts, type utils } from '@agents/core';
import type { AudioDecoder } from './decoder.js';
import { checkResponse, requestWithRetries } from './http.js';
import { type ResolvedOptions, voiceSettingsBody } from './options.js';

/**
 * One text over the HTTP streaming endpoint: audio frames as the bytes
 * arrive. Retried only until audio has reached the consumer: after that a
 * retry would repeat what may have played.
 */
export class ElevenLabsChunkedStream extends tts.ChunkedStream {
  readonly #options: ResolvedOptions;
  readonly #decoder: () => AudioDecoder;
  #audioStarted = false;

  constructor(
    owner: tts.TTS,
    text: string,
    options: tts.SynthesizeOptions | undefined,
    init: { options: ResolvedOptions; decoder: () => AudioDecoder },
  ) {
    super(owner, text, options);
    this.#options = init.options;
    this.#decoder = init.decoder;
  }

  protected async synthesizeAudio(): Promise<void> {
    // The service refuses empty text; there is nothing to say anyway.
    if (this.inputText.trim() === '') return;
    await requestWithRetries(
      this.#options,
      { label: this.tts.label, signal: this.signal, started: () => this.#audioStarted },
      (deadline) => this.#attempt(deadline),
    );
  }

  async #attempt(deadline: utils.IdleDeadline): Promise<void> {
    const options = this.#options;
    const url = new URL(
      `${options.baseURL}/text-to-speech/${encodeURIComponent(options.voice)}/stream`,
    );
    url.searchParams.set('output_format', options.encoding);
    const body: Record<string, unknown> = { text: this.inputText, model_id: options.model };
    if (options.voiceSettings) body.voice_settings = voiceSettingsBody(options.voiceSettings);
    if (options.languageCode) body.language_code = options.languageCode;
    const response = await deadline.within(
      fetch(url, {
        method: 'POST',
        headers: { 'xi-api-key': options.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: deadline.signal,
      }),
    );
    await checkResponse(response, deadline);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('audio/')) {
      const text = await deadline.within(response.text()).catch(() => '');
      throw new APIError(
        `ElevenLabs answered ${response.status} with content type "${type || 'none'}" instead of ` +
          `audio (${text.slice(0, 200)}): check baseURL (${options.baseURL})`,
        { body: text },
      );
    }
    if (!response.body)
      throw new APIConnectionError('ElevenLabs sent an audio answer without a body');
    const reader = response.body.getReader();
    const decoder = this.#decoder();
    try {
      for (;;) {
        const { value, done } = await deadline.within(reader.read());
        if (done) break;
        for (const audio of (await decoder.decode(value)).audio) {
          this.#audioStarted = true;
          await this.pushAudio(audio);
        }
      }
      for (const audio of (await decoder.flush()).audio) await this.pushAudio(audio);
      if (!this.#audioStarted) {
        throw new APIConnectionError('ElevenLabs ended the audio answer without audio');
      }
    } finally {
      decoder.close();
      // Ends the HTTP exchange when we stop early.
      reader.cancel().catch(() => {});
    }
  }
}
