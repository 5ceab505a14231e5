import type { Listener, TypedEventEmitter } from '../../utils/emitter.js';
import type {
  SpeechOutcome,
  VoiceAssistantEvents,
  VoicePipelineMetrics,
} from '../assistant-types.js';
import { Buckets } from './buckets.js';
import { renderTimelineSVG, type TimelineSVGOptions } from './svg.js';

/**
 * What an assistant tells a timeline beyond its public events: the data that
 * exists only inside the pipeline. A VoiceAssistant gets one from
 * `timeline.record()` and calls it only while a timeline records.
 */
export interface TimelineProbe {
  /** The assistant's clock, once it has one (at `start()`). */
  clock(now: () => number): void;
  /** One VAD window's speech probability. */
  vad(at: number, probability: number): void;
  /** An interim or final transcript as the STT gave it. */
  transcript(at: number, text: string, final: boolean): void;
  /** The output gain the assistant set (ducking). */
  gain(at: number, gain: number): void;
  /** The assistant paused (a possible interruption) or resumed the output. */
  paused(at: number, paused: boolean): void;
  /** Level (RMS, 0..1 of full scale) of the agent audio heard over [at, at + ms). */
  level(at: number, ms: number, rms: number): void;
}

/** Something a timeline can follow: a VoiceAssistant (or anything with its events). */
export type TimelineSource = Pick<TypedEventEmitter<VoiceAssistantEvents>, 'on' | 'off'>;

/** One thing that happened, at `at` ms on the assistant's clock. */
export type TimelineMark =
  | { type: 'user_started' | 'user_stopped'; at: number }
  | { type: 'interim' | 'final'; at: number; text: string }
  | { type: 'end_of_turn'; at: number; text: string }
  | { type: 'agent_started'; at: number; speechId: string }
  | { type: 'agent_stopped'; at: number; speechId: string; outcome: SpeechOutcome }
  | { type: 'interrupted'; at: number; speechId: string; heardText: string }
  | { type: 'false_interruption'; at: number; speechId: string; resumed: boolean }
  | { type: 'paused' | 'resumed'; at: number }
  | { type: 'gain'; at: number; gain: number }
  | { type: 'tool_calls' | 'tool_results'; at: number; speechId: string; names: string[] }
  | { type: 'turn'; at: number; metrics: VoicePipelineMetrics }
  | { type: 'error'; at: number; source: string; message: string };

/** A bucketed series: `values[i]` covers [start + i·bucketMs, start + (i+1)·bucketMs); -1 = no data. */
export interface TimelineSeries {
  start: number | undefined;
  bucketMs: number;
  values: readonly number[];
}

/** Everything a timeline recorded, for drawing or for your own analysis. */
export interface TimelineData {
  marks: readonly TimelineMark[];
  /** The VAD's speech probability, 0..1. */
  vad: TimelineSeries;
  /** The level of the agent audio heard, RMS 0..1 (bindings that report it: console, files). */
  level: TimelineSeries;
  /** Marks not kept because `maxEvents` was reached. */
  droppedMarks: number;
}

export interface TimelineOptions {
  /** Resolution of the VAD probability and the output level, ms (default 20). */
  bucketMs?: number;
  /** Buckets per series before the resolution halves (default 90 000: 30 min at 20 ms). */
  maxBuckets?: number;
  /** Marks kept; later ones are counted, not kept (default 5000). */
  maxEvents?: number;
  /** Longest transcript text kept per mark, characters (default 200). */
  maxTextLength?: number;
}

/**
 * Records a conversation for a picture of every turn: `timeline.record(assistant)`
 * (before or after `start()`), then `timeline.toSVG()` once it is over gives an
 * SVG to open in a browser. Memory is bounded: the VAD probability and the
 * output level are kept per `bucketMs`, and at most `maxEvents` marks.
 */
export class Timeline {
  readonly #marks: TimelineMark[] = [];
  readonly #vad: Buckets;
  readonly #level: Buckets;
  readonly #maxEvents: number;
  readonly #maxText: number;
  #dropped = 0;
  #lastVadAt: number | undefined;
  #now: () => number = () => performance.now();
  #detach: (() => void) | undefined;

  constructor(options: TimelineOptions = {}) {
    const bucketMs = options.bucketMs ?? 20;
    const maxBuckets = options.maxBuckets ?? 90_000;
    this.#vad = new Buckets(bucketMs, maxBuckets);
    this.#level = new Buckets(bucketMs, maxBuckets);
    this.#maxEvents = options.maxEvents ?? 5000;
    if (!Number.isInteger(this.#maxEvents) || this.#maxEvents < 1) {
      throw new RangeError(`maxEvents must be an integer >= 1 (got ${options.maxEvents})`);
    }
    this.#maxText = options.maxTextLength ?? 200;
  }

  /**
   * Follows `assistant`'s events and, for a VoiceAssistant, its VAD
   * probability, transcripts, gain and output level. One assistant per
   * timeline; returns a function that stops recording.
   */
  record(assistant: TimelineSource): () => void {
    if (this.#detach) throw new Error('this Timeline already records an assistant; make another');
    const offs: (() => void)[] = [];
    const on = <E extends keyof VoiceAssistantEvents>(
      event: E,
      listener: (payload: VoiceAssistantEvents[E]) => void,
    ) => {
      const typed = listener as Listener<VoiceAssistantEvents[E]>;
      assistant.on(event, typed);
      offs.push(() => assistant.off(event, typed));
    };
    on('user_started_speaking', ({ at }) => this.#mark({ type: 'user_started', at }));
    on('user_stopped_speaking', ({ at }) => this.#mark({ type: 'user_stopped', at }));
    on('user_speech_committed', ({ at, text }) =>
      this.#mark({ type: 'end_of_turn', at, text: this.#text(text) }),
    );
    on('agent_started_speaking', ({ at, speechId }) =>
      this.#mark({ type: 'agent_started', at, speechId }),
    );
    on('agent_stopped_speaking', ({ at, speechId, outcome }) =>
      this.#mark({ type: 'agent_stopped', at, speechId, outcome }),
    );
    on('agent_speech_interrupted', ({ at, speechId, heardText }) =>
      this.#mark({ type: 'interrupted', at, speechId, heardText: this.#text(heardText) }),
    );
    on('agent_false_interruption', ({ at, speechId, resumed }) =>
      this.#mark({ type: 'false_interruption', at, speechId, resumed }),
    );
    on('function_calls_collected', ({ speechId, calls }) =>
      this.#mark({ type: 'tool_calls', at: this.#now(), speechId, names: toolNames(calls) }),
    );
    on('function_calls_finished', ({ speechId, calls }) =>
      this.#mark({ type: 'tool_results', at: this.#now(), speechId, names: toolNames(calls) }),
    );
    on('metrics_collected', (metrics) =>
      this.#mark({ type: 'turn', at: this.#now(), metrics: { ...metrics } }),
    );
    on('error', ({ error, source }) =>
      this.#mark({ type: 'error', at: this.#now(), source, message: this.#text(error.message) }),
    );
    const probed = assistant as { _setTimelineProbe?: (probe: TimelineProbe | undefined) => void };
    probed._setTimelineProbe?.(this.#probe());
    this.#detach = () => {
      for (const off of offs) off();
      probed._setTimelineProbe?.(undefined);
    };
    return () => this.#detach?.();
  }

  /** What was recorded so far (a snapshot; later recording does not change it). */
  data(): TimelineData {
    const series = (b: Buckets): TimelineSeries => ({
      start: b.start,
      bucketMs: b.bucketMs,
      values: [...b.values],
    });
    return {
      marks: this.#marks.map((mark) => ({ ...mark })),
      vad: series(this.#vad),
      level: series(this.#level),
      droppedMarks: this.#dropped,
    };
  }

  /** The picture: an SVG document (deterministic for the same recording and options). */
  toSVG(options: TimelineSVGOptions = {}): string {
    return renderTimelineSVG(this.data(), options);
  }

  #probe(): TimelineProbe {
    return {
      clock: (now) => {
        this.#now = now;
      },
      vad: (at, probability) => {
        // A window's probability is about the audio since the previous window: cover it all,
        // so windows longer than a bucket draw one line, not dots.
        const since = this.#lastVadAt;
        this.#lastVadAt = at;
        if (since !== undefined && at > since && at - since <= MAX_VAD_GAP_MS) {
          this.#vad.add(since, probability, at - since);
        } else this.#vad.add(at, probability);
      },
      transcript: (at, text, final) =>
        this.#mark({ type: final ? 'final' : 'interim', at, text: this.#text(text) }),
      gain: (at, gain) => this.#mark({ type: 'gain', at, gain }),
      paused: (at, paused) => this.#mark({ type: paused ? 'paused' : 'resumed', at }),
      level: (at, ms, rms) => this.#level.add(at, rms, ms),
    };
  }

  #mark(mark: TimelineMark): void {
    if (this.#marks.length >= this.#maxEvents) {
      this.#dropped++;
      return;
    }
    this.#marks.push(mark);
  }

  #text(text: string): string {
    return text.length > this.#maxText ? `${text.slice(0, this.#maxText - 1)}…` : text;
  }
}

/** Longer than a VAD window: a gap this long is a pause in the VAD's input, left blank. */
const MAX_VAD_GAP_MS = 250;

function toolNames(calls: readonly { name: string }[]): string[] {
  return calls.map((call) => call.name);
}
