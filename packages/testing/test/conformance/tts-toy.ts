// An in-process "service" and a toy TTS over it, correct by default; each
// flaw breaks one promise the TTS conformance suite checks.
import { APIConnectionError, APIStatusError, tts, utils } from '@agents/core';
import { AudioFrame } from '@livekit/rtc-node';
import type { ServiceControl } from '../../src/conformance/index.js';

export const GOOD_KEY = 'toy-key';

/** Requests and connections as the toy service sees them, with the faults the checks arm. */
export class ToyService implements ServiceControl {
  readonly url = 'toy://service';
  readonly requests = new Set<object>();
  readonly sockets = new Set<{ dropped: boolean }>();
  readonly replies: unknown[] = [];
  readonly #faults: number[] = [];

  openConnections(): number {
    return this.sockets.size + this.requests.size;
  }

  openRequests(): number {
    return this.requests.size;
  }

  failNext(status: number, times = 1): void {
    for (let i = 0; i < times; i++) this.#faults.push(status);
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.dropped = true;
    this.sockets.clear();
  }

  /** Checks the key and the armed faults, as an HTTP exchange or a handshake would. */
  admit(key: string): void {
    if (key !== GOOD_KEY) throw new APIStatusError('toy: wrong key', { status: 401 });
    const status = this.#faults.shift();
    if (status !== undefined) throw new APIStatusError(`toy: HTTP ${status}`, { status });
  }

  open(key: string): { end(): void } {
    this.admit(key);
    const request = {};
    this.requests.add(request);
    return { end: () => this.requests.delete(request) };
  }

  connect(key: string): { dropped: boolean } {
    this.admit(key);
    const socket = { dropped: false };
    this.sockets.add(socket);
    return socket;
  }

  async close(): Promise<void> {
    this.requests.clear();
    this.sockets.clear();
  }
}

export type TTSFlaw =
  | 'wrong-rate'
  | 'drops-fragments'
  | 'extra-segment'
  | 'merges-segments'
  | 'keeps-request-open'
  | 'untyped-errors'
  | 'retryable-4xx'
  | 'bad-key-retryable'
  | 'no-reconnect'
  | 'double-metrics'
  | 'bad-word-timings'
  | 'holds-frames'
  | 'leaks-listener';

const SAMPLE_RATE = 16_000;
/** Milliseconds of speech per character: about a real voice's pace. */
const MS_PER_CHAR = 60;

function speechFor(text: string): Int16Array {
  const samples = Math.round((text.length * MS_PER_CHAR * SAMPLE_RATE) / 1000);
  return new Int16Array(samples).fill(1000);
}

/** Maps a service error as the flaw says (a correct TTS passes it on, typed). */
function mapError(error: unknown, flaws: ReadonlySet<TTSFlaw>): unknown {
  if (!(error instanceof APIStatusError)) return error;
  if (flaws.has('untyped-errors')) return new Error(error.message);
  if (flaws.has('retryable-4xx') && error.status === 400) {
    return new APIStatusError(error.message, { status: 400, retryable: true });
  }
  if (flaws.has('bad-key-retryable') && error.status === 401) {
    return new APIStatusError(error.message, { status: 401, retryable: true });
  }
  return error;
}

export class ToyTTS extends tts.TTS {
  readonly label = 'toy.TTS';
  readonly held: AudioFrame[] = [];
  readonly #service: ToyService;
  readonly #key: string;
  readonly flaws: ReadonlySet<TTSFlaw>;
  #socket: { dropped: boolean } | undefined;

  constructor(service: ToyService, key: string, flaws: readonly TTSFlaw[] = []) {
    super({ sampleRate: SAMPLE_RATE, numChannels: 1, capabilities: { streaming: true } });
    this.#service = service;
    this.#key = key;
    this.flaws = new Set(flaws);
  }

  get service(): ToyService {
    return this.#service;
  }

  /** Opens a request on the service; errors mapped as the flaws say. */
  open(): { end(): void } {
    try {
      return this.#service.open(this.#key);
    } catch (error) {
      throw mapError(error, this.flaws);
    }
  }

  /** The shared socket: reconnects after a drop (unless flawed). */
  socket(): { dropped: boolean } {
    if (this.#socket?.dropped && this.flaws.has('no-reconnect')) {
      throw new APIConnectionError('toy: the socket dropped');
    }
    if (!this.#socket || this.#socket.dropped) {
      try {
        this.#socket = this.#service.connect(this.#key);
      } catch (error) {
        throw mapError(error, this.flaws);
      }
    }
    return this.#socket;
  }

  synthesize(text: string, options?: tts.SynthesizeOptions): tts.ChunkedStream {
    return new ToyChunked(this, text, options);
  }

  override stream(): tts.SynthesizeStream {
    // Flawed: a listener per stream that nobody removes.
    if (this.flaws.has('leaks-listener')) this.on('metrics_collected', () => {});
    return new ToyStream(this);
  }

  override async close(): Promise<void> {
    if (this.#socket) this.#service.sockets.delete(this.#socket);
    this.#socket = undefined;
  }
}

/** Yields to the event loop between chunks, as network audio arrives. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Plays `text` in 100 ms chunks through `push`, ending the request (unless flawed). */
async function play(
  owner: ToyTTS,
  text: string,
  signal: AbortSignal,
  push: (pcm: Int16Array) => Promise<unknown>,
): Promise<void> {
  const request = owner.open();
  let finished = false;
  try {
    const pcm = speechFor(text);
    const chunk = SAMPLE_RATE / 10;
    for (let at = 0; at < pcm.length && !signal.aborted; at += chunk) {
      await push(pcm.subarray(at, at + chunk));
      await tick();
    }
    finished = !signal.aborted;
  } finally {
    if (finished || !owner.flaws.has('keeps-request-open')) request.end();
  }
}

class ToyChunked extends tts.ChunkedStream {
  readonly #owner: ToyTTS;

  constructor(owner: ToyTTS, text: string, options?: tts.SynthesizeOptions) {
    super(owner, text, options);
    this.#owner = owner;
  }

  protected async synthesizeAudio(): Promise<void> {
    const wrongRate = this.#owner.flaws.has('wrong-rate');
    await play(this.#owner, this.inputText, this.signal, async (pcm) => {
      if (!wrongRate) return this.pushAudio(pcm);
      const frame = new AudioFrame(pcm, SAMPLE_RATE * 2, 1, pcm.length);
      return this.emit({
        requestId: this.requestId,
        segmentId: this.segmentId,
        frame,
        deltaText: '',
      });
    });
  }
}

class ToyStream extends tts.SynthesizeStream {
  readonly #owner: ToyTTS;

  constructor(owner: ToyTTS) {
    super(owner);
    this.#owner = owner;
  }

  protected async run(): Promise<void> {
    const { flaws } = this.#owner;
    let text = '';
    for await (const item of this.text()) {
      if (item !== utils.FLUSH) {
        if (!(flaws.has('drops-fragments') && item.length < 3)) text += item;
        continue;
      }
      if (flaws.has('merges-segments')) continue;
      await this.#speak(text);
      if (flaws.has('extra-segment')) await this.#speak('');
      text = '';
    }
    if (text) await this.#speak(text);
  }

  async #speak(text: string): Promise<void> {
    this.#owner.socket();
    await this.startSegment();
    this.noteTextSent(text);
    const words = timedWords(text, this.#owner.flaws.has('bad-word-timings'));
    if (words.length > 0) this.pushWordTimings(words);
    const hold = this.#owner.flaws.has('holds-frames');
    await play(this.#owner, text, this.signal, async (pcm) => {
      if (hold) this.#owner.held.push(new AudioFrame(pcm.slice(), SAMPLE_RATE, 1, pcm.length));
      await this.pushAudio(pcm);
    });
    await this.endSegment();
    if (this.#owner.flaws.has('double-metrics')) {
      this.#owner.emit('metrics_collected', {
        type: 'tts',
        label: this.#owner.label,
        requestId: this.requestId,
        timestamp: Date.now(),
        ttfbMs: -1,
        durationMs: 0,
        characters: text.length,
        audioDurationMs: 0,
        cancelled: false,
        streamed: true,
      });
    }
  }
}

/** Word timings spread over the text's audio, as a provider's alignment gives them. */
function timedWords(text: string, backwards: boolean): tts.TimedWord[] {
  const words: tts.TimedWord[] = [];
  for (const match of text.matchAll(/\S+/g)) {
    const start = ((match.index ?? 0) * MS_PER_CHAR) / 1000;
    const end = start + (match[0].length * MS_PER_CHAR) / 1000;
    words.push({ text: match[0], startTime: start, endTime: end });
  }
  // Flawed: the third word starts before the second.
  if (backwards && words.length > 2) {
    const third = words[2] as tts.TimedWord;
    words[2] = { ...third, startTime: (words[1] as tts.TimedWord).startTime - 0.1 };
  }
  return words;
}
