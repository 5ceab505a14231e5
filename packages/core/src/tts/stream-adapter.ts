import { SentenceTokenizer } from '../tokenize/sentence-tokenizer.js';
import type { Tokenizer } from '../tokenize/token-stream.js';
import { FLUSH } from '../utils/async-stream.js';
import { AsyncQueue } from '../utils/queue.js';
import { MetricsRelay } from '../utils/relay.js';
import type { ChunkedStream } from './chunked-stream.js';
import { SynthesizeStream } from './synthesize-stream.js';
import { type SynthesizeOptions, TTS } from './tts.js';

export interface StreamAdapterOptions {
  /** A non-streaming TTS: each sentence is sent to its `synthesize()`. */
  tts: TTS;
  /** Cuts the pushed text into sentences. Default: `new SentenceTokenizer()`. */
  sentenceTokenizer?: Tokenizer;
  /** Sentences synthesized at once, ahead of playback. Default 3. */
  maxConcurrent?: number;
}

/**
 * Streaming synthesis from a non-streaming TTS: pushed text is cut into
 * sentences, each sentence is synthesized on its own, up to `maxConcurrent`
 * at a time so the next sentence is ready when the current one ends, and the
 * audio comes out strictly in sentence order.
 *
 * The wrapped TTS's metrics are reported on the adapter; it listens to the
 * wrapped TTS only while one of its streams or syntheses is under way.
 */
export class StreamAdapter extends TTS {
  readonly label: string;
  readonly wrapped: TTS;
  readonly sentenceTokenizer: Tokenizer;
  readonly maxConcurrent: number;
  readonly #relay: MetricsRelay;

  constructor({ tts, sentenceTokenizer, maxConcurrent = 3 }: StreamAdapterOptions) {
    super({
      sampleRate: tts.sampleRate,
      numChannels: tts.numChannels,
      capabilities: { streaming: true },
    });
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new TypeError(`maxConcurrent must be a positive integer, got ${maxConcurrent}`);
    }
    this.wrapped = tts;
    this.sentenceTokenizer = sentenceTokenizer ?? new SentenceTokenizer();
    this.maxConcurrent = maxConcurrent;
    this.label = `tts.StreamAdapter(${tts.label})`;
    this.#relay = new MetricsRelay(tts, this);
  }

  /** Delegates to the wrapped TTS (whose metrics are forwarded). */
  synthesize(text: string, options?: SynthesizeOptions): ChunkedStream {
    const audio = this.wrapped.synthesize(text, options);
    // A ChunkedStream always reports its metrics when it ends, closed or not.
    this.#relay.holdUntilReported(audio.requestId);
    return audio;
  }

  override stream(): SynthesizeStream {
    return new AdapterStream(this, this.#relay.hold());
  }
}

/** What the playback loop does next, in order. */
type Job =
  | { kind: 'start' }
  | { kind: 'sentence'; text: string; audio: ChunkedStream }
  | { kind: 'end' };

class AdapterStream extends SynthesizeStream {
  readonly #adapter: StreamAdapter;

  /** `releaseMetrics` ends this stream's hold on the wrapped TTS's metrics. */
  constructor(adapter: StreamAdapter, releaseMetrics: () => void) {
    // The wrapped TTS reports metrics per sentence; the segments would count them twice.
    super(adapter, { reportMetrics: false });
    this.#adapter = adapter;
    this.whenRunEnds(releaseMetrics);
  }

  /**
   * Three loops: text into the sentence tokenizer; sentences into requests
   * (waiting for one of `maxConcurrent` slots first) queued in order; and
   * playback of that queue, which frees a slot as each sentence ends. The
   * first failure stops all three and reaches the consumer.
   */
  protected async run(): Promise<void> {
    const { maxConcurrent, sentenceTokenizer, wrapped } = this.#adapter;
    const sentences = sentenceTokenizer.stream();
    // A bounded queue used as a semaphore: one item per sentence in flight.
    const slots = new AsyncQueue<true>({ capacity: maxConcurrent });
    const jobs = new AsyncQueue<Job>({ capacity: 2 * maxConcurrent + 2 });
    const open = new Set<ChunkedStream>();
    const stop = new AbortController();
    let failure: { error: unknown } | undefined;
    const fail = (error: unknown) => {
      failure ??= { error };
      stop.abort(error);
    };
    const onClose = () => stop.abort(this.signal.reason);
    this.signal.addEventListener('abort', onClose, { once: true });
    stop.signal.addEventListener('abort', () => {
      sentences.close();
      jobs.close();
    });

    const feedText = async () => {
      for await (const item of this.text()) {
        if (sentences.closed) return;
        if (item === FLUSH) sentences.flush();
        else sentences.pushText(item);
      }
      if (!sentences.closed) sentences.endInput();
    };

    const queueSentences = async () => {
      for await (const event of sentences) {
        if (event.type === 'started') {
          await jobs.put({ kind: 'start' }, stop.signal);
        } else if (event.type === 'token') {
          await slots.put(true, stop.signal);
          const audio = wrapped.synthesize(event.token, { signal: stop.signal });
          open.add(audio);
          await jobs.put({ kind: 'sentence', text: event.token, audio }, stop.signal);
        } else {
          await jobs.put({ kind: 'end' }, stop.signal);
        }
      }
      jobs.close();
    };

    const play = async () => {
      for await (const job of jobs) {
        if (job.kind === 'start') await this.startSegment();
        else if (job.kind === 'end') await this.endSegment();
        else {
          this.noteTextSent(job.text);
          for await (const chunk of job.audio) await this.pushAudio(chunk.frame);
          open.delete(job.audio);
          slots.tryGet();
        }
      }
    };

    // The text loop ends with the input; after a failure it is left to end at
    // the next push or at close(), which is harmless: it only feeds a closed tokenizer.
    const feeding = feedText().catch(fail);
    try {
      await Promise.all([queueSentences().catch(fail), play().catch(fail)]);
      if (failure) throw failure.error;
      await feeding;
    } finally {
      this.signal.removeEventListener('abort', onClose);
      if (!stop.signal.aborted) stop.abort();
      await Promise.all([...open].map((audio) => audio.close()));
    }
  }
}
