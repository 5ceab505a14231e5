import { tts, utils } from '@agents/core';
import { Script, ScriptError } from './script.js';
import { testSpeechPcm } from './signal.js';

/** How the fake speaks one text (a `synthesize()` call, or one segment of a stream). */
export type FakeSynthesisStep =
  | {
      /** The text the code under test must send; checked when given. */
      text?: string;
      /** Length of the audio. Default: 50 ms per character, at least 100 ms. */
      audioMs?: number;
      /** Wait before the first audio. Default 0. */
      firstByteDelayMs?: number;
      /** Size of the provider's chunks; odd sizes exercise re-framing. Default 45 ms. */
      chunkMs?: number;
      /** Wait between chunks. Default 0. */
      chunkDelayMs?: number;
    }
  | { text?: string; error: Error; firstByteDelayMs?: number };

export interface FakeTTSOptions {
  /** One step per `synthesize()` call. */
  synthesize?: FakeSynthesisStep[];
  /** One list per `stream()` call, one step per segment; giving it makes the TTS streaming. */
  streams?: FakeSynthesisStep[][];
  sampleRate?: number;
  numChannels?: number;
  label?: string;
}

/** A text-to-speech whose behaviour is a script; its audio is the test speech signal. */
export class FakeTTS extends tts.TTS {
  readonly label: string;
  /** The texts spoken, in order: each `synthesize()` text and each stream segment's text. */
  readonly spokenTexts: string[] = [];
  readonly #synthesize: Script<FakeSynthesisStep>;
  readonly #streams: Script<FakeSynthesisStep[]> | undefined;
  readonly #segmentScripts: Script<FakeSynthesisStep>[] = [];

  constructor(options: FakeTTSOptions = {}) {
    super({
      sampleRate: options.sampleRate ?? 24_000,
      numChannels: options.numChannels ?? 1,
      capabilities: { streaming: options.streams !== undefined },
    });
    this.label = options.label ?? 'fake.TTS';
    this.#synthesize = new Script(`${this.label} synthesize`, options.synthesize);
    this.#streams = options.streams
      ? new Script(`${this.label} stream`, options.streams)
      : undefined;
  }

  synthesize(text: string, options?: tts.SynthesizeOptions): tts.ChunkedStream {
    return new FakeChunkedStream(this, text, this.#synthesize.next('synthesize() call'), options);
  }

  override stream(): tts.SynthesizeStream {
    if (!this.#streams) return super.stream();
    const segments = new Script(
      `${this.label} stream segments`,
      this.#streams.next('stream() call'),
    );
    this.#segmentScripts.push(segments);
    return new FakeSynthesizeStream(this, segments);
  }

  assertDone(): void {
    this.#synthesize.assertDone();
    this.#streams?.assertDone();
    for (const segments of this.#segmentScripts) segments.assertDone();
  }

  /** Plays one step: checks the text, waits, then yields the audio in chunks. */
  async *play(
    step: FakeSynthesisStep,
    text: string,
    signal: AbortSignal,
  ): AsyncGenerator<Int16Array> {
    this.spokenTexts.push(text);
    if (step.text !== undefined && step.text !== text) {
      throw new ScriptError(
        `${this.label}: expected to speak ${JSON.stringify(step.text)}, got ${JSON.stringify(text)}`,
      );
    }
    if (step.firstByteDelayMs) await utils.sleep(step.firstByteDelayMs, signal);
    if ('error' in step) throw step.error;
    const audioMs = step.audioMs ?? Math.max(100, text.length * 50);
    const pcm = testSpeechPcm(audioMs, this.sampleRate, this.numChannels);
    const chunk =
      Math.max(1, Math.round(((step.chunkMs ?? 45) * this.sampleRate) / 1000)) * this.numChannels;
    for (let offset = 0; offset < pcm.length; offset += chunk) {
      if (offset > 0 && step.chunkDelayMs) await utils.sleep(step.chunkDelayMs, signal);
      yield pcm.subarray(offset, offset + chunk);
    }
  }
}

class FakeChunkedStream extends tts.ChunkedStream {
  readonly #owner: FakeTTS;
  readonly #step: FakeSynthesisStep;

  constructor(
    owner: FakeTTS,
    text: string,
    step: FakeSynthesisStep,
    options?: tts.SynthesizeOptions,
  ) {
    super(owner, text, options);
    this.#owner = owner;
    this.#step = step;
  }

  protected async synthesizeAudio(): Promise<void> {
    for await (const chunk of this.#owner.play(this.#step, this.inputText, this.signal)) {
      await this.pushAudio(chunk);
    }
  }
}

class FakeSynthesizeStream extends tts.SynthesizeStream {
  readonly #owner: FakeTTS;
  readonly #segments: Script<FakeSynthesisStep>;

  constructor(owner: FakeTTS, segments: Script<FakeSynthesisStep>) {
    super(owner);
    this.#owner = owner;
    this.#segments = segments;
  }

  protected async run(): Promise<void> {
    let text = '';
    for await (const item of this.text()) {
      if (item !== utils.FLUSH) {
        await this.startSegment();
        text += item;
        continue;
      }
      if (text) await this.#speak(text);
      text = '';
    }
    if (text) await this.#speak(text);
  }

  async #speak(text: string): Promise<void> {
    const step = this.#segments.next('segment');
    this.noteTextSent(text);
    for await (const chunk of this.#owner.play(step, text, this.signal))
      await this.pushAudio(chunk);
    await this.endSegment();
  }
}
