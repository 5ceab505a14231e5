import { audio, stt, utils } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { Script } from './script.js';

/** What one `recognize()` call returns, or how it fails. */
export type FakeRecognizeStep =
  | { text: string; language?: string; confidence?: number; delayMs?: number }
  | { error: Error; delayMs?: number };

/**
 * One event of a fake live transcription, released once `atAudioMs` of audio
 * has been pushed (so tests do not depend on wall-clock timing). Events not
 * reached when input ends are released then. END_OF_SPEECH without `text`
 * carries the finals since the last START_OF_SPEECH.
 */
export interface FakeSpeechEventStep {
  atAudioMs: number;
  type: stt.SpeechEventType;
  text?: string;
  /** Wait this long before releasing the event (a slow provider). */
  delayMs?: number;
}

/**
 * The stream fails with `error` once `atAudioMs` of audio has been pushed (a
 * connection lost mid-turn); the steps after it are never released.
 */
export interface FakeSpeechFailureStep {
  atAudioMs: number;
  error: Error;
  delayMs?: number;
}

export type FakeSpeechStep = FakeSpeechEventStep | FakeSpeechFailureStep;

export interface FakeSTTOptions {
  /** One step per `recognize()` call. */
  recognize?: FakeRecognizeStep[];
  /** One list of events per `stream()` call; giving it makes the STT streaming. */
  streams?: FakeSpeechStep[][];
  interimResults?: boolean;
  language?: string;
  label?: string;
}

/** A speech-to-text whose answers are a script; records what it was asked. */
export class FakeSTT extends stt.STT {
  readonly label: string;
  /** Audio and language of each `recognize()` call, in order. */
  readonly recognizeCalls: Array<{ frame: AudioFrame; language: string | undefined }> = [];
  readonly #recognize: Script<FakeRecognizeStep>;
  readonly #streams: Script<FakeSpeechStep[]> | undefined;
  readonly #language: string;
  readonly #openStreams: FakeSpeechStream[] = [];

  constructor(options: FakeSTTOptions = {}) {
    super({
      streaming: options.streams !== undefined,
      interimResults: options.interimResults ?? false,
    });
    this.label = options.label ?? 'fake.STT';
    this.#language = options.language ?? 'en-US';
    this.#recognize = new Script(`${this.label} recognize`, options.recognize);
    this.#streams = options.streams
      ? new Script(`${this.label} stream`, options.streams)
      : undefined;
  }

  protected async recognizeImpl(
    frame: AudioFrame,
    options: stt.RecognizeOptions,
  ): Promise<stt.SpeechEvent> {
    const step = this.#recognize.next('recognize() call');
    this.recognizeCalls.push({ frame, language: options.language });
    if (step.delayMs) await utils.sleep(step.delayMs, options.signal);
    if ('error' in step) throw step.error;
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      requestId: utils.shortId('fake'),
      alternatives: [
        {
          text: step.text,
          language: step.language ?? options.language ?? this.#language,
          confidence: step.confidence ?? 1,
          startTime: 0,
          endTime: audio.frameDuration(frame),
        },
      ],
    };
  }

  override stream(options: stt.SpeechStreamOptions = {}): stt.SpeechStream {
    if (!this.#streams) return super.stream(options);
    const stream = new FakeSpeechStream(this, this.#streams.next('stream() call'), {
      language: options.language ?? this.#language,
    });
    this.#openStreams.push(stream);
    return stream;
  }

  /** Throws unless every scripted call happened and every stream released all its events. */
  assertDone(): void {
    this.#recognize.assertDone();
    this.#streams?.assertDone();
    for (const stream of this.#openStreams) stream.assertDone();
  }
}

class FakeSpeechStream extends stt.SpeechStream {
  readonly events: Script<FakeSpeechStep>;
  readonly #steps: FakeSpeechStep[];
  #finals: string[] = [];
  #failed = false;

  /** Steps after a scripted failure are never released: they do not count as missing. */
  assertDone(): void {
    if (!this.#failed) this.events.assertDone();
  }

  constructor(owner: FakeSTT, steps: FakeSpeechStep[], init: stt.SpeechStreamInit) {
    super(owner, init);
    this.#steps = [...steps].sort((a, b) => a.atAudioMs - b.atAudioMs);
    this.events = new Script(`${owner.label} stream events`, this.#steps);
  }

  protected async run(): Promise<void> {
    let pushedMs = 0;
    for await (const item of this.frames()) {
      if (item === utils.FLUSH) continue;
      pushedMs += audio.frameDuration(item) * 1000;
      if (!(await this.#release((step) => step.atAudioMs <= pushedMs))) return;
    }
    await this.#release(() => true);
  }

  /** Releases the due events in order; false once the stream is closed. */
  async #release(due: (step: FakeSpeechStep) => boolean): Promise<boolean> {
    while (this.events.remaining > 0) {
      const step = this.#steps[this.#steps.length - this.events.remaining]!;
      if (!due(step)) return true;
      this.events.next('event');
      if (step.delayMs) await utils.sleep(step.delayMs, this.signal);
      if ('error' in step) {
        this.#failed = true;
        throw step.error;
      }
      if (!(await this.emit(this.#event(step)))) return false;
    }
    return true;
  }

  #event(step: FakeSpeechEventStep): stt.SpeechEvent {
    const { SpeechEventType } = stt;
    let text = step.text ?? '';
    if (step.type === SpeechEventType.START_OF_SPEECH) this.#finals = [];
    if (step.type === SpeechEventType.FINAL_TRANSCRIPT) this.#finals.push(text);
    if (step.type === SpeechEventType.END_OF_SPEECH && step.text === undefined) {
      text = this.#finals.join(' ');
    }
    const alternatives =
      step.type === SpeechEventType.START_OF_SPEECH
        ? []
        : [
            {
              text,
              language: this.language ?? 'en-US',
              confidence: 1,
              startTime: 0,
              endTime: step.atAudioMs / 1000,
            },
          ];
    return { type: step.type, alternatives, requestId: 'fake-stream' };
  }
}
