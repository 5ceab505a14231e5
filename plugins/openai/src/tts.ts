import { APIConnectionError, type plugin, tts, type utils } from '@agents/core';
import type { SpeechCreateParams } from 'openai/resources/audio/speech';
import { type ClientOptions, type LazyClient, resolveClient } from './client.js';
import { streamWithRetries } from './errors.js';
import type { TTSModel, TTSVoice } from './models.js';

/** What the speech endpoint sends for `response_format: 'pcm'`. */
const PCM_SAMPLE_RATE = 24_000;

export interface TTSOptions extends ClientOptions {
  /** Default `tts-1`, the fastest to first audio. */
  model?: TTSModel;
  /** Default `alloy`. */
  voice?: TTSVoice;
  /** 0.25 to 4; default 1. */
  speed?: number;
  /** How to speak (tone, pace, accent); `gpt-4o-mini-tts` only. */
  instructions?: string;
}

/**
 * OpenAI text-to-speech. The audio is requested as raw PCM (24 kHz, 16-bit,
 * mono), so it plays as it arrives, with no MP3 decoder in between. Not a
 * streaming TTS: in a pipeline, wrap it in `tts.StreamAdapter`.
 */
export class TTS extends tts.TTS {
  readonly label = 'openai.TTS';
  readonly model: string;
  readonly voice: string;
  readonly #client: LazyClient;
  readonly #connect: plugin.APIConnectOptions;
  readonly #speed: number | undefined;
  readonly #instructions: string | undefined;

  constructor(options: TTSOptions = {}) {
    super({ sampleRate: PCM_SAMPLE_RATE, numChannels: 1, capabilities: { streaming: false } });
    const { speed } = options;
    if (speed !== undefined && !(speed >= 0.25 && speed <= 4)) {
      throw new TypeError(`${this.label}: speed must be between 0.25 and 4 (got ${speed})`);
    }
    ({ client: this.#client, connect: this.#connect } = resolveClient(options, this.label));
    this.model = options.model ?? 'tts-1';
    this.voice = options.voice ?? 'alloy';
    this.#speed = speed;
    this.#instructions = options.instructions;
  }

  synthesize(text: string, options?: tts.SynthesizeOptions): tts.ChunkedStream {
    const request: SpeechCreateParams = {
      model: this.model,
      voice: this.voice,
      input: text,
      response_format: 'pcm',
    };
    if (this.#speed !== undefined) request.speed = this.#speed;
    if (this.#instructions !== undefined) request.instructions = this.#instructions;
    return new OpenAIChunkedStream(this, text, options, {
      client: this.#client,
      connect: this.#connect,
      request,
    });
  }
}

interface SpeechInit {
  client: LazyClient;
  connect: plugin.APIConnectOptions;
  request: SpeechCreateParams;
}

class OpenAIChunkedStream extends tts.ChunkedStream {
  readonly #init: SpeechInit;
  #audioStarted = false;

  constructor(
    owner: TTS,
    text: string,
    options: tts.SynthesizeOptions | undefined,
    init: SpeechInit,
  ) {
    super(owner, text, options);
    this.#init = init;
  }

  protected async synthesizeAudio(): Promise<void> {
    // The service refuses empty input; there is nothing to say anyway.
    if (this.inputText.trim() === '') return;
    // Retried only until audio arrives: once some has played, a retry would repeat it.
    const { connect } = this.#init;
    await streamWithRetries(
      connect,
      { label: this.tts.label, signal: this.signal, started: () => this.#audioStarted },
      (deadline) => this.#attempt(deadline),
    );
  }

  async #attempt(deadline: utils.IdleDeadline): Promise<void> {
    const { client, request } = this.#init;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const openai = await deadline.within(client.get());
      const response = await deadline.within(
        openai.audio.speech.create(request, { signal: deadline.signal, maxRetries: 0 }),
      );
      if (!response.body) {
        throw new APIConnectionError('OpenAI sent a speech response without a body');
      }
      reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      for (;;) {
        const { value, done } = await deadline.within(reader.read());
        if (done) break;
        this.#audioStarted = true;
        // Raw PCM as it arrives; the base class cuts it into 20 ms frames.
        await this.pushAudio(value);
      }
      if (!this.#audioStarted) {
        throw new APIConnectionError('OpenAI ended the speech response without audio');
      }
    } finally {
      // Ends the HTTP exchange when we stop early.
      reader?.cancel().catch(() => {});
    }
  }
}
