import { type llm, utils, type voice } from '@agents/core';
import { AudioFrame } from '@livekit/rtc-node';
import {
  FakeLLM,
  type FakeLLMStep,
  type FakeSpeechRegion,
  type FakeSpeechStep,
  FakeSTT,
  type FakeSynthesisStep,
  FakeTTS,
  FakeVAD,
  type FakeVADStreamScript,
} from '../../src/index.js';

const INPUT_RATE = 16_000;
const FRAME_MS = 10;

/** A clock that moves only when the test says; timers fire in order as it passes them. */
export class VirtualClock {
  now = 0;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #nextId = 0;

  setTimer = (ms: number, callback: () => void): (() => void) => {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.now + Math.max(0, ms), callback });
    return () => this.#timers.delete(id);
  };

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves to `target`, firing due timers in time order. */
  moveTo(target: number): void {
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.now = Math.max(this.now, due[1].at);
      due[1].callback();
    }
    this.now = target;
  }
}

/** The user's microphone: the test pushes frames. */
export class TestInput implements voice.AudioInput {
  readonly sampleRate = INPUT_RATE;
  readonly numChannels = 1;
  readonly droppedFrames = 0;
  readonly #queue = new utils.AsyncQueue<AudioFrame>({ capacity: 10_000 });

  push(frame: AudioFrame): void {
    this.#queue.tryPut(frame);
  }

  async close(): Promise<void> {
    this.#queue.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<AudioFrame> {
    return this.#queue[Symbol.asyncIterator]();
  }
}

interface Segment {
  id: string;
  captured: number;
  played: number;
  flushed: boolean;
  finished?: voice.PlaybackFinished;
  started: boolean;
  waiters: ((finished: voice.PlaybackFinished) => void)[];
}

/** A speaker whose playhead moves as the clock does; it records what it was asked to do. */
export class TestOutput implements voice.AudioOutput {
  readonly #events = new utils.TypedEventEmitter<voice.AudioOutputEvents>();
  readonly sampleRate = 24_000;
  readonly numChannels = 1;
  canPause = true;
  readonly calls: string[] = [];
  readonly volumes: number[] = [];
  readonly segments: Segment[] = [];
  paused = false;
  #open: Segment | undefined;
  #count = 0;
  readonly #clock: VirtualClock;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  on<E extends keyof voice.AudioOutputEvents>(
    event: E,
    listener: (payload: voice.AudioOutputEvents[E]) => void,
  ): this {
    this.#events.on(event, listener as never);
    return this;
  }

  off<E extends keyof voice.AudioOutputEvents>(
    event: E,
    listener: (payload: voice.AudioOutputEvents[E]) => void,
  ): this {
    this.#events.off(event, listener as never);
    return this;
  }

  async captureFrame(frame: AudioFrame): Promise<void> {
    if (!this.#open) {
      this.#open = {
        id: `seg${++this.#count}`,
        captured: 0,
        played: 0,
        flushed: false,
        started: false,
        waiters: [],
      };
      this.segments.push(this.#open);
    }
    this.#open.captured += frame.samplesPerChannel / frame.sampleRate;
  }

  flush(): string {
    const segment = this.#open;
    this.#open = undefined;
    if (!segment) return '';
    segment.flushed = true;
    this.#maybeFinish(segment);
    return segment.id;
  }

  clearBuffer(): void {
    this.calls.push('clearBuffer');
    this.#open = undefined;
    for (const segment of this.segments) {
      if (!segment.finished) this.#finish(segment, true);
    }
  }

  pause(): void {
    this.calls.push('pause');
    this.paused = true;
  }

  resume(): void {
    this.calls.push('resume');
    this.paused = false;
  }

  setVolume(gain: number): void {
    this.volumes.push(gain);
  }

  waitForPlayout(segmentId?: string): Promise<voice.PlaybackFinished> {
    const segment = segmentId
      ? this.segments.find((s) => s.id === segmentId)
      : this.segments.filter((s) => s.flushed).at(-1);
    if (!segment) return Promise.reject(new Error(`no segment ${segmentId}`));
    if (segment.finished) return Promise.resolve(segment.finished);
    return new Promise((resolve) => segment.waiters.push(resolve));
  }

  get playedSeconds(): number {
    return this.segments.at(-1)?.played ?? 0;
  }

  /** Plays `seconds` of whatever is buffered. */
  play(seconds: number): void {
    if (this.paused) return;
    let left = seconds;
    for (const segment of this.segments) {
      if (segment.finished || left <= 0) continue;
      const step = Math.min(left, segment.captured - segment.played);
      if (step > 0 && !segment.started) {
        segment.started = true;
        this.#events.emit('playback_started', { segmentId: segment.id, at: this.#clock.now });
      }
      segment.played += step;
      left -= step;
      this.#maybeFinish(segment);
      if (!segment.finished) break;
    }
  }

  async close(): Promise<void> {}

  #maybeFinish(segment: Segment): void {
    if (segment.flushed && !segment.finished && segment.played >= segment.captured - 1e-9) {
      this.#finish(segment, false);
    }
  }

  #finish(segment: Segment, interrupted: boolean): void {
    segment.finished = { segmentId: segment.id, playbackPosition: segment.played, interrupted };
    this.#events.emit('playback_finished', segment.finished);
    for (const waiter of segment.waiters.splice(0)) waiter(segment.finished);
  }
}

/** Records what reached a text output. */
export class TestText implements voice.TextOutput {
  readonly segments: string[] = [];
  #current = '';
  readonly #append: boolean;

  constructor(append: boolean) {
    this.#append = append;
  }

  async captureText(text: string | voice.TimedText): Promise<void> {
    const value = typeof text === 'string' ? text : text.text;
    this.#current = this.#append ? this.#current + value : value;
  }

  flush(): void {
    this.segments.push(this.#current);
    this.#current = '';
  }
}

export interface HarnessOptions {
  vad: FakeSpeechRegion[];
  stt: FakeSpeechStep[];
  /** Scripts of the VAD streams opened after the first fails (audio time restarts at 0 in each). */
  vadRestarts?: (FakeSpeechRegion[] | FakeVADStreamScript)[];
  /** Scripts of the STT streams opened after the first fails. */
  sttRestarts?: FakeSpeechStep[][];
  /** The first VAD stream fails so (its regions are `vad`). */
  vadFailure?: FakeVADStreamScript['failure'];
  llm: FakeLLMStep[];
  /** Non-streaming TTS steps (the assistant wraps it in the stream adapter). */
  tts: FakeSynthesisStep[];
  assistant?: Partial<voice.VoiceAssistantOptions> & voice.VoiceAssistantExtraOptions;
}

type EventLog = { event: keyof voice.VoiceAssistantEvents; payload: unknown; at: number }[];

const EVENTS: (keyof voice.VoiceAssistantEvents)[] = [
  'user_started_speaking',
  'user_stopped_speaking',
  'agent_started_speaking',
  'agent_stopped_speaking',
  'user_speech_committed',
  'agent_speech_committed',
  'agent_speech_interrupted',
  'agent_speech_paused',
  'agent_false_interruption',
  'function_calls_collected',
  'function_calls_finished',
  'metrics_collected',
  'error',
];

/** Waits for queued promise work to run (no timers involved: the clock is virtual). */
export async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** An assistant wired to scripted fakes and a virtual-clock binding. */
export class Harness {
  readonly clock = new VirtualClock();
  readonly input = new TestInput();
  readonly output = new TestOutput(this.clock);
  readonly agentText = new TestText(true);
  readonly userText = new TestText(false);
  readonly vad: FakeVAD;
  readonly stt: FakeSTT;
  readonly llm: FakeLLM;
  readonly tts: FakeTTS;
  readonly assistant: voice.VoiceAssistant;
  readonly events: EventLog = [];
  /** Audio pushed so far, ms. */
  audioMs = 0;

  constructor(VoiceAssistant: typeof voice.VoiceAssistant, options: HarnessOptions) {
    this.vad = new FakeVAD({
      streams: [
        { regions: options.vad, failure: options.vadFailure },
        ...(options.vadRestarts ?? []),
      ],
    });
    this.stt = new FakeSTT({ streams: [options.stt, ...(options.sttRestarts ?? [])] });
    this.llm = new FakeLLM({ responses: options.llm });
    this.tts = new FakeTTS({ synthesize: options.tts });
    this.assistant = new VoiceAssistant({
      vad: this.vad,
      stt: this.stt,
      llm: this.llm,
      tts: this.tts,
      ...options.assistant,
    });
    for (const event of EVENTS) {
      this.assistant.on(event, (payload: unknown) => {
        this.events.push({ event, payload, at: this.clock.now });
      });
    }
  }

  async start(): Promise<void> {
    await this.assistant.start({
      input: this.input,
      output: this.output,
      agentTranscript: this.agentText,
      userTranscript: this.userText,
      now: () => this.clock.now,
      setTimer: this.clock.setTimer,
    });
    await settle();
  }

  /** `ms` of user audio and time pass, 10 ms at a time (the speaker plays meanwhile). */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += FRAME_MS) {
      const samples = (INPUT_RATE * FRAME_MS) / 1000;
      this.input.push(new AudioFrame(new Int16Array(samples), INPUT_RATE, 1, samples));
      this.audioMs += FRAME_MS;
      await this.tick();
    }
  }

  /** Time passes without new audio (a muted microphone). */
  async idle(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += FRAME_MS) await this.tick();
  }

  /** Runs (audio and time) until `event` has been seen `count` times, at most `maxMs`. */
  async runUntil(event: keyof voice.VoiceAssistantEvents, maxMs = 10_000, count = 1) {
    for (let t = 0; t < maxMs; t += FRAME_MS) {
      if (this.seen(event).length >= count) return this.seen(event)[count - 1];
      await this.run(FRAME_MS);
    }
    throw new Error(`no ${event} within ${maxMs} ms of virtual time; saw ${this.names()}`);
  }

  seen(event: keyof voice.VoiceAssistantEvents): { payload: unknown; at: number }[] {
    return this.events.filter((e) => e.event === event);
  }

  payload<E extends keyof voice.VoiceAssistantEvents>(
    event: E,
    index = 0,
  ): voice.VoiceAssistantEvents[E] {
    const found = this.seen(event)[index];
    if (!found) throw new Error(`no ${event} #${index}; saw ${this.names()}`);
    return found.payload as voice.VoiceAssistantEvents[E];
  }

  names(): string {
    return this.events.map((e) => e.event).join(', ');
  }

  messages(): Pick<llm.ChatMessage, 'role' | 'content'>[] {
    return this.assistant.chatCtx.messages.map((m) => ({ role: m.role, content: m.content }));
  }

  async tick(): Promise<void> {
    this.clock.moveTo(this.clock.now + FRAME_MS);
    this.output.play(FRAME_MS / 1000);
    await settle();
  }
}
