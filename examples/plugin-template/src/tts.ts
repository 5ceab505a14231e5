import { plugin, tts, utils } from '@agents/core';
import { statusError, toAPIError } from './errors.js';

/** What the service sends (see src/server.ts): 16-bit mono PCM at 16 kHz. */
const SAMPLE_RATE = 16_000;
const DEFAULT_BASE_URL = 'http://127.0.0.1:8787';

export interface TTSOptions {
  /** Default: the TONE_API_KEY environment variable. */
  apiKey?: string;
  /** Where the service listens. Default: TONE_BASE_URL, else http://127.0.0.1:8787 */
  baseURL?: string;
  /** Retries, backoff and the idle deadline of each request (core's defaults otherwise). */
  connectOptions?: Partial<plugin.APIConnectOptions>;
}

/**
 * Text-to-speech with the Tone service: one HTTP request per `synthesize()`,
 * the audio handed on as it arrives. Not a streaming TTS: in a pipeline, wrap
 * it in `tts.StreamAdapter`, which sends it a sentence at a time.
 */
export class TTS extends tts.TTS {
  readonly label = 'tone.TTS';
  readonly baseURL: string;
  readonly #apiKey: string;
  readonly #connect: plugin.APIConnectOptions;

  constructor(options: TTSOptions = {}) {
    super({ sampleRate: SAMPLE_RATE, numChannels: 1, capabilities: { streaming: false } });
    const apiKey = options.apiKey ?? process.env.TONE_API_KEY;
    if (!apiKey) {
      throw new TypeError(`${this.label}: no API key: pass apiKey or set TONE_API_KEY`);
    }
    this.#apiKey = apiKey;
    this.baseURL = (options.baseURL ?? process.env.TONE_BASE_URL ?? DEFAULT_BASE_URL).replace(
      /\/+$/,
      '',
    );
    // Fills core's defaults and refuses values that cannot work, naming the field.
    this.#connect = plugin.resolveConnectOptions(options.connectOptions);
  }

  synthesize(text: string, options?: tts.SynthesizeOptions): tts.ChunkedStream {
    return new ToneChunkedStream(this, text, options, {
      url: `${this.baseURL}/v1/speech`,
      apiKey: this.#apiKey,
      connect: this.#connect,
    });
  }
}

interface SpeechRequest {
  url: string;
  apiKey: string;
  connect: plugin.APIConnectOptions;
}

class ToneChunkedStream extends tts.ChunkedStream {
  readonly #request: SpeechRequest;
  #audioStarted = false;

  constructor(
    owner: TTS,
    text: string,
    options: tts.SynthesizeOptions | undefined,
    request: SpeechRequest,
  ) {
    super(owner, text, options);
    this.#request = request;
  }

  /** The base class cuts what `pushAudio()` gets into 20 ms frames and reports the metrics. */
  protected async synthesizeAudio(): Promise<void> {
    // The service refuses empty text; there is nothing to say anyway.
    if (this.inputText.trim() === '') return;
    const { connect } = this.#request;
    // Retried only until audio has reached the consumer: a retry after that would repeat it.
    await utils.retryBeforeOutput(
      () =>
        utils.runAttempt(
          {
            signal: this.signal,
            timeoutMs: connect.timeoutMs,
            label: 'the Tone service',
            toError: toAPIError,
          },
          (deadline) => this.#attempt(deadline),
        ),
      {
        ...utils.retryOptionsFor(connect, { label: this.tts.label, signal: this.signal }),
        started: () => this.#audioStarted,
      },
    );
  }

  async #attempt(deadline: utils.IdleDeadline): Promise<void> {
    const { url, apiKey } = this.#request;
    const response = await deadline.within(
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: this.inputText }),
        // Aborts the request, socket included, when the stream is closed or the deadline passes.
        signal: deadline.signal,
      }),
    );
    if (!response.ok || !response.body) throw await statusError(response);
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { value, done } = await deadline.within(reader.read());
        if (done) return;
        this.#audioStarted = true;
        await this.pushAudio(value);
      }
    } finally {
      // Ends the HTTP exchange when we stop early (close, break, an error).
      reader.cancel().catch(() => {});
    }
  }
}
