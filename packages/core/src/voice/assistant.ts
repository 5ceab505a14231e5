import { APIStatusError } from '../errors.js';
import type { JobVoiceOptions } from '../job/job-voice.js';
import { ChatContext } from '../llm/chat-context.js';
import { LLMStream } from '../llm/llm-stream.js';
import { log } from '../log.js';
import type { SpeechEvent } from '../stt/events.js';
import type { SpeechStream } from '../stt/speech-stream.js';
import { abortable, withDeadline } from '../utils/deadline.js';
import { TypedEventEmitter } from '../utils/emitter.js';
import { Future } from '../utils/future.js';
import { type VADEvent, VADEventType, type VADStream } from '../vad/vad.js';
import type {
  VoiceAssistantEvents,
  VoiceAssistantOptions,
  VoicePipelineMetrics,
} from './assistant-types.js';
import { type Clock, clockFor, TimerSlot } from './clock.js';
import type { AudioOutputEvents, ParticipantLinkEvents, VoiceIO } from './io.js';
import {
  type ResolvedOptions,
  resolveOptions,
  type VoiceAssistantExtraOptions,
} from './options.js';
import { type ReplyContext, runSpeech, type SpeechSource, type SpeechTimings } from './reply.js';
import { RoomIO } from './room/room-io.js';
import type { RoomSurface } from './room/surface.js';
import { SpeechHandle } from './speech-handle.js';
import type { TimelineProbe } from './timeline/timeline.js';
import { UserTranscriptForwarder } from './transcript-forwarder.js';
import { TurnDetector, type TurnTiming } from './turn-detector.js';

/** `close()` returns within this, whatever state the assistant is in. */
const CLOSE_BUDGET_MS = 5000;
/** Gain while the user seems to speak over the agent, relative to `baseVolume`. */
const DUCKED_GAIN = 0.5;
/** Speeches waiting to play; `say()` beyond it throws. */
const MAX_QUEUED_SPEECHES = 32;
/** Preemptive replies started per user turn; later finals wait for the commit. */
const MAX_PREEMPTIVE_PER_TURN = 3;
/** Consecutive failures of the VAD or STT stream before giving up on it. */
const MAX_STREAM_RESTARTS = 5;

export interface SayOptions {
  /** Whether the user may interrupt it (default: the assistant's `allowInterruptions`). */
  allowInterruptions?: boolean;
  /** Commit what was heard of it to the chat context (default true). */
  addToChatCtx?: boolean;
  /** Interrupt the speech playing now (if it allows it) instead of queueing behind it. */
  interrupt?: boolean;
}

interface AssistantTracker {
  _assistantStarted(assistant: VoiceAssistant): void;
}

/** Something that provides a binding: a JobContext (`ctx.voiceIO()`). */
export interface VoiceIOProvider {
  voiceIO(participantIdentity?: string, options?: JobVoiceOptions): Promise<VoiceIO>;
}

/** What `start()` can bind to: a room, a JobContext, or a binding of your own. */
export type VoiceTarget = RoomSurface | VoiceIOProvider | VoiceIO;

/** The participant to listen to in a room: an identity, or the participant itself. */
export type ParticipantChoice = string | { readonly identity: string };

/**
 * The job that owns a room, if any: a room job's `ctx.room` leads back to its
 * JobContext, so `start(ctx.room)` gets the job's binding and the job's end
 * closes the assistant. Set by the job module (a plain module-level hook keeps
 * the voice module free of the job module's imports).
 */
let jobForRoom: ((room: object) => VoiceIOProvider | undefined) | undefined;

/** @internal Used by JobContext. */
export function _setJobForRoom(lookup: (room: object) => VoiceIOProvider | undefined): void {
  jobForRoom = lookup;
}

interface SpeechEntry {
  speech: SpeechHandle;
  timings: SpeechTimings;
  turn: Future<void>;
  turnTiming?: TurnTiming;
  startedAt?: number;
  task?: Promise<void>;
}

/**
 * A voice conversation: the user's audio through VAD and STT decides turns,
 * the LLM answers (with tools), the TTS speaks through the binding's output,
 * and the chat context keeps what was said and heard. See assistant-types.ts.
 */
export class VoiceAssistant extends TypedEventEmitter<VoiceAssistantEvents> {
  readonly chatCtx: ChatContext;
  readonly #opts: ResolvedOptions;
  #io: VoiceIO | undefined;
  #clock: Clock | undefined;
  #turn: TurnDetector | undefined;
  #rc: ReplyContext | undefined;
  #userTranscript: UserTranscriptForwarder | undefined;
  readonly #life = new AbortController();
  readonly #entries = new Map<SpeechHandle, SpeechEntry>();
  /** Authorized speeches in play order; the first one owns the output. */
  readonly #queue: SpeechHandle[] = [];
  #preemptive: { speech: SpeechHandle; ctxLength: number } | undefined;
  #preemptiveCount = 0;
  #falseInterruption: TimerSlot | undefined;
  #ducked = false;
  #outputPaused = false;
  #userSpeechSeconds = 0;
  #vadStream: VADStream | undefined;
  #sttStream: SpeechStream | undefined;
  #inputEnded = false;
  readonly #loops: Promise<void>[] = [];
  #closing: Promise<void> | undefined;
  /** A binding this assistant made (from a room without a job) and so must close. */
  #ownedIO: RoomIO | undefined;
  /** The participant last reported linked: a binding's link is told once, whoever hears it first. */
  #linked: string | undefined;
  /** Set only while a voice.Timeline records this assistant: every use is one check when unset. */
  #probe: TimelineProbe | undefined;
  readonly #onLinked = (event: ParticipantLinkEvents['participant_linked']) => {
    if (this.#linked === event.identity) return;
    this.#linked = event.identity;
    this.#emit('participant_linked', { ...event, at: this.#now() });
  };
  readonly #onUnlinked = (event: ParticipantLinkEvents['participant_unlinked']) => {
    if (this.#linked === event.identity) this.#linked = undefined;
    this.#emit('participant_unlinked', { ...event, at: this.#now() });
  };
  readonly #onPlaybackStarted = (event: AudioOutputEvents['playback_started']) =>
    this.#playbackStarted(event.at);

  constructor(options: VoiceAssistantOptions & VoiceAssistantExtraOptions) {
    super();
    this.#opts = resolveOptions(options);
    this.chatCtx = options.chatCtx ?? new ChatContext();
  }

  #starting = false;

  get started(): boolean {
    return this.#io !== undefined;
  }

  /**
   * Starts listening and speaking. In a job, `start(ctx.room)` after
   * `ctx.connect()` binds to the room: it listens to `participant` (an
   * identity or a participant; default the first one who is not an agent,
   * and the next one after they leave) and speaks on a track of its own; the
   * job's end closes the assistant. `start(ctx)` is the same. Outside a job,
   * a connected rtc-node `Room` works too (the assistant then owns the
   * binding and closes it), and any `VoiceIO` (files, tests, your own).
   */
  async start(
    target: VoiceTarget,
    participant?: ParticipantChoice,
    roomOptions: JobVoiceOptions = {},
  ): Promise<void> {
    if (this.#io || this.#starting) throw new Error('VoiceAssistant.start() was already called');
    if (this.#closing) throw new Error('VoiceAssistant is closed');
    this.#starting = true;
    let io: VoiceIO;
    try {
      io = await this.#bind(target, participant, roomOptions);
    } catch (error) {
      this.#starting = false;
      throw error;
    }
    if (!io?.input || !io.output) {
      this.#starting = false;
      throw new TypeError(
        'VoiceAssistant.start() takes a connected Room, a JobContext, or a VoiceIO with input and output',
      );
    }
    if (this.#closing) {
      await this.#ownedIO?.close();
      throw new Error('VoiceAssistant was closed while starting');
    }
    this.#io = io;
    const clock = clockFor(io);
    this.#clock = clock;
    this.#falseInterruption = new TimerSlot(clock);
    const opts = this.#opts;
    if (opts.transcription && io.userTranscript) {
      this.#userTranscript = new UserTranscriptForwarder(io.userTranscript);
    }
    this.#rc = {
      clock,
      output: io.output,
      agentTranscript: opts.transcription ? io.agentTranscript : undefined,
      llm: opts.llm,
      tts: opts.tts,
      tools: opts.tools,
      maxToolSteps: opts.maxToolSteps,
      toolTimeoutMs: opts.toolTimeout * 1000,
      alignment: { hyphenateWord: opts.hyphenateWord, transcriptionSpeed: opts.transcriptionSpeed },
      chatCtx: this.chatCtx,
      beforeLLM: opts.beforeLLM ? async (ctx) => opts.beforeLLM?.(this, ctx) : undefined,
      emit: (event, payload) => this.#emit(event, payload),
      waitForTurn: (speech) => this.#waitForTurn(speech),
    };
    this.#turn = new TurnDetector(clock, opts, {
      userStarted: (at) => this.#userStarted(at),
      userStopped: (at) => this.#userStopped(at),
      speechProgress: (s, p) => this.#speechProgress(s, p),
      transcript: (text, isFinal) => {
        this.#probe?.transcript(clock.now(), text, isFinal);
        if (isFinal) this.#userTranscript?.final(text);
        else this.#userTranscript?.interim(text);
      },
      transcriptChanged: (f, i, final) => this.#transcriptChanged(f, i, final),
      commit: (text, timing) => this.#commitTurn(text, timing),
      transcriptionTimeout: () => this.#transcriptionTimeout(),
    });
    io.output.on('playback_started', this.#onPlaybackStarted);
    io.output.setVolume(opts.baseVolume);
    if (this.#probe) this.#connectProbe(this.#probe);
    io.participants?.on('participant_linked', this.#onLinked);
    io.participants?.on('participant_unlinked', this.#onUnlinked);
    // Linked while the binding was made, before anyone listened: said now.
    const linked = io.participants?.linkedIdentity;
    if (linked !== undefined) this.#onLinked({ identity: linked });
    this.#loops.push(
      this.#runStream<VADStream, VADEvent>(
        'vad',
        () => opts.vad.stream(),
        (s) => (this.#vadStream = s),
        (e) => {
          if (this.#probe && e.type === VADEventType.INFERENCE_DONE) {
            this.#probe.vad(clock.now(), e.probability);
          }
          this.#turn?.onVAD(e);
        },
      ),
      this.#runStream<SpeechStream, SpeechEvent>(
        'stt',
        () => opts.stt.stream(),
        (s) => (this.#sttStream = s),
        (e) => this.#turn?.onSTT(e),
      ),
      this.#readInput(io),
    );
  }

  /**
   * Speaks `source` (text, streamed text, or an LLM stream), after the
   * speeches already queued unless `interrupt` is set.
   */
  say(source: string | AsyncIterable<string> | LLMStream, options: SayOptions = {}): SpeechHandle {
    if (!this.#rc) throw new Error('VoiceAssistant.say() needs start() first');
    if (this.#closing) throw new Error('VoiceAssistant is closed');
    if (this.#queue.length >= MAX_QUEUED_SPEECHES) {
      throw new Error(`VoiceAssistant.say(): ${MAX_QUEUED_SPEECHES} speeches already queued`);
    }
    const speech = new SpeechHandle({
      allowInterruptions: options.allowInterruptions ?? this.#opts.allowInterruptions,
      addToChatCtx: options.addToChatCtx ?? true,
    });
    let speechSource: SpeechSource;
    if (typeof source === 'string') speechSource = { kind: 'text', text: oneText(source) };
    else if (source instanceof LLMStream) speechSource = { kind: 'llm', stream: source };
    else if (source && Symbol.asyncIterator in source)
      speechSource = { kind: 'text', text: source };
    else throw new TypeError('say() takes a string, an AsyncIterable<string> or an LLMStream');
    const head = this.#queue[0];
    this.#launch(speech, speechSource);
    speech.authorize();
    if (options.interrupt && head && !head.done) {
      this.#queue.splice(1, 0, speech);
      if (head.allowInterruptions) head.interrupt('say() with interrupt');
    } else {
      this.#queue.push(speech);
    }
    this.#advanceQueue();
    return speech;
  }

  /** Stops everything: bounded (about 5 s) whatever the state; nothing is left running. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#life.abort();
    this.#turn?.close();
    this.#falseInterruption?.clear();
    for (const speech of this.#entries.keys()) speech.cancel('closing');
    const closing = [this.#vadStream?.close(), this.#sttStream?.close()];
    const tasks = [...this.#entries.values()].map((e) => e.task);
    try {
      await withDeadline(
        Promise.allSettled([...closing, ...tasks, ...this.#loops]),
        CLOSE_BUDGET_MS - 500,
        'VoiceAssistant tasks did not stop',
      );
    } catch (error) {
      log().warn({ err: error }, 'VoiceAssistant.close(): abandoning tasks past the deadline');
    }
    this.#io?.output.off('playback_started', this.#onPlaybackStarted);
    if (this.#probe) this.#io?.output.setLevelListener?.(undefined);
    this.#io?.participants?.off('participant_linked', this.#onLinked);
    this.#io?.participants?.off('participant_unlinked', this.#onUnlinked);
    await this.#ownedIO?.close().catch((error: unknown) => {
      log().warn({ err: error }, 'VoiceAssistant.close(): the room binding did not close cleanly');
    });
  }

  /** The binding for `start()`'s target; a JobContext hears of this assistant. */
  async #bind(
    target: VoiceTarget,
    participant: ParticipantChoice | undefined,
    roomOptions: JobVoiceOptions,
  ): Promise<VoiceIO> {
    const identity = typeof participant === 'string' ? participant : participant?.identity;
    // The agent's track at the TTS's own rate: its audio goes out without resampling.
    roomOptions = {
      ...roomOptions,
      output: { sampleRate: this.#opts.tts.sampleRate, ...roomOptions.output },
    };
    let provider: VoiceIOProvider | undefined;
    if (isRoom(target)) {
      provider = jobForRoom?.(target);
      if (!provider) {
        this.#ownedIO = await RoomIO.create(target, {
          ...roomOptions,
          participantIdentity: identity,
        });
        return this.#ownedIO;
      }
    } else if (isProvider(target)) {
      provider = target;
    } else {
      return target;
    }
    const io = await provider.voiceIO(identity, roomOptions);
    // The console prints the assistant's events; a room job closes it when the job ends.
    (provider as Partial<AssistantTracker>)._assistantStarted?.(this);
    return io;
  }

  // --- input ---------------------------------------------------------------

  async #readInput(io: VoiceIO): Promise<void> {
    const signal = this.#life.signal;
    const iterator = io.input[Symbol.asyncIterator]();
    try {
      while (!signal.aborted) {
        const next = await abortable(iterator.next(), signal);
        if (next.done) break;
        for (const stream of [this.#vadStream, this.#sttStream]) {
          if (!stream || stream.closed) continue;
          // Waits when a stream is behind (a file faster than real time); a live
          // binding's own queue drops the oldest audio instead.
          await stream.write(next.value, { signal }).catch(() => {});
        }
      }
      this.#inputEnded = true;
      this.#vadStream?.endInput();
      this.#sttStream?.endInput();
    } catch (error) {
      if (!signal.aborted) {
        this.#emit('error', { error: asError(error), source: 'io', recoverable: false });
      }
    } finally {
      void Promise.resolve(iterator.return?.()).catch(() => {});
    }
  }

  async #runStream<S extends VADStream | SpeechStream, E extends VADEvent | SpeechEvent>(
    source: 'vad' | 'stt',
    open: () => S,
    publish: (stream: S) => void,
    handle: (event: E) => void,
  ): Promise<void> {
    let failures = 0;
    while (!this.#life.signal.aborted && !this.#inputEnded) {
      let stream: S;
      try {
        stream = open();
      } catch (error) {
        this.#emit('error', { error: asError(error), source, recoverable: false });
        return;
      }
      publish(stream);
      try {
        for await (const event of stream as AsyncIterable<E>) {
          failures = 0;
          handle(event);
        }
        if (this.#life.signal.aborted || this.#inputEnded) return;
        throw new Error(`${source} stream ended unexpectedly`);
      } catch (error) {
        if (this.#life.signal.aborted) return;
        // Else a user "speaking" when the VAD died would hold the turn open until the next speech.
        if (source === 'vad') this.#turn?.vadLost();
        failures++;
        // A refusal that no retry can mend (a wrong key: 401/403) stops at once; anything
        // else may be a dropped connection or a glitch, worth a new stream.
        const permanent = error instanceof APIStatusError && !error.retryable;
        const recoverable = !permanent && failures < MAX_STREAM_RESTARTS;
        this.#emit('error', { error: asError(error), source, recoverable });
        if (!recoverable) return;
      } finally {
        await stream.close();
      }
    }
  }

  // --- turn-taking ---------------------------------------------------------

  #userStarted(at: number): void {
    this.#userSpeechSeconds = 0;
    this.#falseInterruption?.clear();
    this.#emit('user_started_speaking', { at });
  }

  #userStopped(at: number): void {
    this.#userSpeechSeconds = 0;
    this.#setDucked(false);
    this.#emit('user_stopped_speaking', { at });
    const head = this.#queue[0];
    if (head?.paused) {
      this.#falseInterruption?.set(this.#opts.falseInterruptionTimeout * 1000, () =>
        this.#resumeFalseInterruption(head),
      );
    }
  }

  #speechProgress(speechSeconds: number, probability: number): void {
    this.#userSpeechSeconds = speechSeconds;
    const head = this.#interruptible();
    if (!head?.playing || head.paused) return;
    if (speechSeconds >= this.#opts.interruptSpeechDuration) this.#maybeInterrupt(head);
    else this.#setDucked(probability >= 0.5);
  }

  #transcriptChanged(finalText: string, interimText: string, isFinal: boolean): void {
    const head = this.#interruptible();
    if (head?.paused && this.#wordsEnough(1)) head.interrupt('user spoke over the agent');
    else if (head?.playing && this.#userSpeechSeconds >= this.#opts.interruptSpeechDuration) {
      this.#maybeInterrupt(head);
    }
    this.#updatePreemptive(finalText, interimText, isFinal);
  }

  /** Interrupts (or pauses, until words confirm it) the playing speech. */
  #maybeInterrupt(head: SpeechHandle): void {
    const minWords = this.#opts.interruptMinWords;
    if (this.#wordsEnough(Math.max(1, minWords))) {
      head.interrupt('user spoke over the agent');
    } else if (minWords > 0) {
      return;
    } else if (this.#io?.output.canPause) {
      head.paused = true;
      this.#outputPaused = true;
      this.#setDucked(false);
      this.#io.output.pause();
      const at = this.#now();
      this.#probe?.paused(at, true);
      this.#emit('agent_speech_paused', { speechId: head.id, at });
    } else {
      head.interrupt('user spoke over the agent');
    }
  }

  #resumeFalseInterruption(speech: SpeechHandle): void {
    if (!speech.paused || speech.done || this.#turn?.userSpeaking) return;
    speech.paused = false;
    this.#outputPaused = false;
    this.#io?.output.resume();
    this.#probe?.paused(this.#now(), false);
    this.#emit('agent_false_interruption', {
      speechId: speech.id,
      resumed: true,
      at: this.#now(),
    });
  }

  #transcriptionTimeout(): void {
    const head = this.#queue[0];
    if (head?.paused) this.#resumeFalseInterruption(head);
  }

  #commitTurn(text: string, timing: TurnTiming): void {
    if (this.#closing) return;
    const reuse =
      this.#preemptive &&
      normalize(this.#preemptive.speech.userText ?? '') === normalize(text) &&
      this.#preemptive.ctxLength === this.chatCtx.messages.length &&
      !this.#preemptive.speech.done;
    const speech = reuse ? this.#preemptive!.speech : undefined;
    if (!reuse) this.#preemptive?.speech.cancel('the transcript changed');
    this.#preemptive = undefined;
    this.#preemptiveCount = 0;
    this.#emit('user_speech_committed', { text, at: timing.endOfTurnAt });
    // A new turn supersedes the answers still pending and interrupts the one playing.
    for (const queued of [...this.#queue]) {
      if (!queued.allowInterruptions) continue;
      if (queued === this.#queue[0] || queued.userText !== undefined)
        queued.cancel('new user turn');
    }
    // Includes speeches stopping now: what they heard or ran is committed when they end.
    const waiting = this.#queue.filter((queued) => !queued.done);
    let reply = speech;
    if (reply) this.chatCtx.append({ role: 'user', content: text });
    else if (waiting.length === 0) {
      this.chatCtx.append({ role: 'user', content: text });
      reply = this.#createReply(text, true);
    } else {
      // Behind a speech that goes on (say(), not interruptible) or is stopping: the words
      // enter the context, and the reply is generated, once that speech is committed.
      reply = this.#createDeferredReply(text);
    }
    const entry = this.#entries.get(reply);
    if (entry) entry.turnTiming = timing;
    reply.authorize();
    this.#queue.push(reply);
    this.#advanceQueue();
  }

  #updatePreemptive(finalText: string, interimText: string, isFinal: boolean): void {
    const current = this.#preemptive;
    if (current && (interimText || (isFinal && current.speech.userText !== finalText))) {
      current.speech.cancel('the transcript changed');
      this.#preemptive = undefined;
    }
    if (!this.#opts.preemptiveSynthesis || !isFinal || !finalText || this.#preemptive) return;
    // A speech still under way will change the context before this reply could play.
    if (this.#queue.some((speech) => !speech.done)) return;
    if (this.#preemptiveCount >= MAX_PREEMPTIVE_PER_TURN) return;
    this.#preemptiveCount++;
    const ctxLength = this.chatCtx.messages.length;
    this.#preemptive = { speech: this.#createReply(finalText, false), ctxLength };
  }

  #createReply(userText: string, committed: boolean): SpeechHandle {
    const speech = new SpeechHandle({
      allowInterruptions: this.#opts.allowInterruptions,
      addToChatCtx: true,
      userText,
    });
    const chatCtx = this.chatCtx.copy();
    // A preemptive reply answers words not committed yet: only its own copy has them.
    if (!committed) chatCtx.append({ role: 'user', content: userText });
    this.#launch(speech, { kind: 'reply', chatCtx });
    return speech;
  }

  #createDeferredReply(userText: string): SpeechHandle {
    const speech = new SpeechHandle({
      allowInterruptions: this.#opts.allowInterruptions,
      addToChatCtx: true,
      userText,
    });
    const prepare = () => {
      this.chatCtx.append({ role: 'user', content: userText });
      return this.chatCtx.copy();
    };
    this.#launch(speech, { kind: 'reply', prepare });
    return speech;
  }

  // --- speeches ------------------------------------------------------------

  #launch(speech: SpeechHandle, source: SpeechSource): void {
    const rc = this.#rc!;
    const entry: SpeechEntry = { speech, timings: {}, turn: new Future() };
    this.#entries.set(speech, entry);
    entry.task = runSpeech(rc, speech, source, entry.timings).finally(() => this.#ended(entry));
  }

  #waitForTurn(speech: SpeechHandle): Promise<void> {
    const entry = this.#entries.get(speech);
    if (!entry) return Promise.reject(new Error('unknown speech'));
    return abortable(entry.turn.promise, speech.signal);
  }

  #advanceQueue(): void {
    while (this.#queue[0]?.done) this.#queue.shift();
    const head = this.#queue[0];
    if (head) this.#entries.get(head)?.turn.resolve();
  }

  #interruptible(): SpeechHandle | undefined {
    const head = this.#queue[0];
    if (!head || head.done || !this.#opts.allowInterruptions || !head.allowInterruptions) return;
    return head;
  }

  #wordsEnough(minWords: number): boolean {
    return (this.#turn?.wordCount() ?? 0) >= minWords;
  }

  #playbackStarted(at: number): void {
    const head = this.#queue[0];
    const entry = head && this.#entries.get(head);
    if (!entry || !head.playing || entry.startedAt !== undefined) return;
    entry.startedAt = at;
    this.#emit('agent_started_speaking', { speechId: head.id, at });
  }

  #ended(entry: SpeechEntry): void {
    const { speech } = entry;
    this.#entries.delete(speech);
    if (this.#preemptive?.speech === speech) this.#preemptive = undefined;
    const index = this.#queue.indexOf(speech);
    if (index >= 0) this.#queue.splice(index, 1);
    if (index === 0) {
      this.#falseInterruption?.clear();
      this.#setDucked(false);
      // The next speech must not start into a paused output.
      if (this.#outputPaused) {
        this.#outputPaused = false;
        this.#io?.output.resume();
        this.#probe?.paused(this.#now(), false);
      }
    }
    const at = this.#now();
    const outcome = speech.outcome ?? 'cancelled';
    if (outcome === 'interrupted' && speech.authorized) {
      this.#emit('agent_speech_interrupted', {
        speechId: speech.id,
        heardText: speech.heardText,
        at,
      });
    }
    if (entry.startedAt !== undefined) {
      this.#emit('agent_stopped_speaking', { speechId: speech.id, at, outcome });
    }
    if (entry.turnTiming) this.#reportMetrics(entry);
    this.#advanceQueue();
  }

  #reportMetrics(entry: SpeechEntry): void {
    const { timings, turnTiming } = entry;
    const metrics: VoicePipelineMetrics = {
      type: 'voice_turn',
      speechId: entry.speech.id,
      userSpeechEndedAt: turnTiming?.userSpeechEndedAt,
      finalTranscriptAt: turnTiming?.finalTranscriptAt,
      endOfTurnAt: turnTiming?.endOfTurnAt,
      firstAudioPlayedAt: entry.startedAt,
      llmStartedAt: timings.llmStartedAt,
      llmFirstTokenAt: timings.llmFirstTokenAt,
      ttsStartedAt: timings.ttsStartedAt,
      ttsFirstAudioAt: timings.ttsFirstAudioAt,
    };
    if (timings.llmStartedAt !== undefined && timings.llmFirstTokenAt !== undefined) {
      metrics.llmTtftMs = timings.llmFirstTokenAt - timings.llmStartedAt;
    }
    if (timings.ttsStartedAt !== undefined && timings.ttsFirstAudioAt !== undefined) {
      metrics.ttsTtfbMs = timings.ttsFirstAudioAt - timings.ttsStartedAt;
    }
    if (entry.startedAt !== undefined && turnTiming?.userSpeechEndedAt !== undefined) {
      metrics.endToEndMs = entry.startedAt - turnTiming.userSpeechEndedAt;
    }
    this.#emit('metrics_collected', metrics);
  }

  #setDucked(ducked: boolean): void {
    if (this.#ducked === ducked || !this.#io) return;
    this.#ducked = ducked;
    const gain = ducked ? this.#opts.baseVolume * DUCKED_GAIN : this.#opts.baseVolume;
    this.#io.output.setVolume(gain);
    this.#probe?.gain(this.#now(), gain);
  }

  /**
   * A voice.Timeline records this assistant (`timeline.record(assistant)`), or
   * stops (`undefined`).
   * @internal
   */
  _setTimelineProbe(probe: TimelineProbe | undefined): void {
    if (this.#probe && this.#io) this.#io.output.setLevelListener?.(undefined);
    this.#probe = probe;
    if (probe && this.#io) this.#connectProbe(probe);
  }

  #connectProbe(probe: TimelineProbe): void {
    const io = this.#io!;
    probe.clock(() => this.#now());
    probe.gain(
      this.#now(),
      this.#ducked ? this.#opts.baseVolume * DUCKED_GAIN : this.#opts.baseVolume,
    );
    io.output.setLevelListener?.((at, ms, rms) => probe.level(at, ms, rms));
  }

  #now(): number {
    return this.#clock?.now() ?? performance.now();
  }

  #emit<E extends keyof VoiceAssistantEvents>(event: E, payload: VoiceAssistantEvents[E]): void {
    (this.emit as (e: E, p: VoiceAssistantEvents[E]) => boolean)(event, payload);
  }
}

function isProvider(target: VoiceTarget): target is VoiceIOProvider {
  return typeof (target as VoiceIOProvider).voiceIO === 'function';
}

function isRoom(target: VoiceTarget): target is RoomSurface {
  const room = target as Partial<RoomSurface>;
  return room.remoteParticipants instanceof Map && typeof room.on === 'function';
}

async function* oneText(text: string): AsyncGenerator<string> {
  yield text;
}

function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, '')
    .split(/\s+/)
    .filter(Boolean)
    .join(' ');
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
