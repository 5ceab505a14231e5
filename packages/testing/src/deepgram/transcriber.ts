import type { DeepgramWord } from './types.js';
import { endSentence, RegionWords, round } from './words.js';

/*
 * The numbers of the energy detector. Measured on the repo's espeak fixtures
 * (plugins/silero/test/fixtures): speech windows sit at 0.03–0.3 RMS, the dips
 * inside a sentence last at most 40 ms at this threshold, and pauses between
 * sentences are 0.8–1 s of digital silence.
 */
/** Energy is measured over windows of this length. */
export const WINDOW_S = 0.02;
/** A window is speech when its RMS (full scale = 1) reaches this: -40 dBFS. */
export const SPEECH_RMS = 0.01;
/** Quiet shorter than this does not end a region: it bridges the dips between syllables and words. */
export const HANGOVER_S = 0.2;
/** A region shorter than this yields nothing (a click, a cough), as the real service gives no words. */
export const MIN_SPEECH_S = 0.3;
/** Interim results come once per this much audio while there is speech (CAPT: ~1 s). */
export const INTERIM_EVERY_S = 1;
/** A segment of ongoing speech this long is finalized without an endpoint ("several seconds"). */
export const MAX_SEGMENT_S = 5;

export type TranscriberEvent =
  | { kind: 'speech-started'; timestamp: number }
  | {
      kind: 'results';
      start: number;
      duration: number;
      isFinal: boolean;
      speechFinal: boolean;
      fromFinalize: boolean;
      words: DeepgramWord[];
    }
  | { kind: 'utterance-end'; lastWordEnd: number };

export interface TranscriberOptions {
  sampleRate: number;
  channels: number;
  interimResults: boolean;
  vadEvents: boolean;
  /** Silence that ends an utterance (`speech_final`); false: no endpointing. */
  endpointingMs: number | false;
  /** Gap after the last word that sends `UtteranceEnd` (only with interim results). */
  utteranceEndMs: number | undefined;
  /** The scripted transcript for the next region, if a test gave one. */
  takeScript(): string | undefined;
  emit(event: TranscriberEvent): void;
}

interface Region {
  start: number;
  /** End of the last loud window. */
  lastLoud: number;
  /** Set once the region has lasted MIN_SPEECH_S: only then does it count as speech. */
  words: RegionWords | undefined;
  /** Start of the part of the region not yet given to a final. */
  pieceStart: number;
}

/**
 * Turns 16-bit PCM into the service's results, in audio time: every decision is
 * taken at the end of a 20 ms window, from the audio up to there, so the same
 * audio gives the same messages however fast it arrives.
 */
export class Transcriber {
  readonly #options: TranscriberOptions;
  readonly #samplesPerWindow: number;
  readonly #bytesPerWindow: number;
  readonly #endpointS: number | undefined;
  #carry = Buffer.alloc(0);
  #windows = 0;
  #bytes = 0;
  #region: Region | undefined;
  /** Start of the current result window: the end of the last final. */
  #segmentStart = 0;
  /** Words of closed pieces not yet in a final. */
  #pending: DeepgramWord[] = [];
  #lastResultAt = 0;
  /** Start of the speech not yet in a final: interims and forced finals count from it. */
  #speechSince: number | undefined;
  /** End of the last confirmed region, until the endpoint after it is sent. */
  #speechEnd: number | undefined;
  #lastWordEnd: number | undefined;
  #utteranceEndDue = false;

  constructor(options: TranscriberOptions) {
    this.#options = options;
    this.#samplesPerWindow = Math.max(1, Math.round(options.sampleRate * WINDOW_S));
    this.#bytesPerWindow = this.#samplesPerWindow * options.channels * 2;
    // The detector cannot tell a pause shorter than its hangover from a dip inside a word,
    // so a shorter `endpointing` (the default is 10 ms) acts as the hangover.
    this.#endpointS =
      options.endpointingMs === false
        ? undefined
        : Math.max(options.endpointingMs / 1000, HANGOVER_S);
  }

  /** Seconds of audio received, partial windows included. */
  get audioSeconds(): number {
    return this.#bytes / (this.#options.sampleRate * this.#options.channels * 2);
  }

  /** Seconds of audio analysed: the time every decision so far was taken at. */
  get processedSeconds(): number {
    return (this.#windows * this.#samplesPerWindow) / this.#options.sampleRate;
  }

  /** True while something would still be sent if silence followed (for the wall-clock gap rule). */
  get awaitingSilence(): boolean {
    return (
      this.#region !== undefined ||
      this.#speechEnd !== undefined ||
      this.#pending.length > 0 ||
      (this.#utteranceEndDue && this.#utteranceEndS !== undefined)
    );
  }

  push(bytes: Buffer): void {
    this.#bytes += bytes.length;
    let data = this.#carry.length > 0 ? Buffer.concat([this.#carry, bytes]) : bytes;
    let offset = 0;
    while (data.length - offset >= this.#bytesPerWindow) {
      const loud = rms(data, offset, this.#bytesPerWindow) >= SPEECH_RMS;
      offset += this.#bytesPerWindow;
      this.#windows += 1;
      this.#step(this.processedSeconds, loud);
    }
    data = data.subarray(offset);
    this.#carry = Buffer.from(data);
  }

  /** `Finalize`: whatever speech is pending becomes a final now (sent even when empty, so a client waiting on it is answered). */
  finalize(): void {
    const now = this.processedSeconds;
    this.#split(now);
    this.#final(now, { fromFinalize: true });
  }

  /**
   * The audio stopped coming while an endpoint was pending (a client's energy gate
   * stops sending in quiet stretches): send what the silence would have produced,
   * at the time of the last audio received.
   */
  assumeSilence(): void {
    const now = this.processedSeconds;
    if (this.#region) this.#endRegion(this.#region, now);
    if (this.#pending.length > 0 || this.#speechEnd !== undefined) {
      this.#final(now, { speechFinal: this.#endpointS !== undefined });
    }
    this.#speechEnd = undefined;
    this.#sendUtteranceEnd();
  }

  /** `CloseStream`: the end of the audio ends any speech; its words go out in a last final. */
  end(): void {
    const now = this.processedSeconds;
    if (this.#region) this.#endRegion(this.#region, now);
    if (this.#pending.length > 0 || this.#speechEnd !== undefined) {
      this.#final(now, { speechFinal: this.#endpointS !== undefined });
    }
  }

  get #utteranceEndS(): number | undefined {
    const { utteranceEndMs, interimResults } = this.#options;
    return interimResults && utteranceEndMs !== undefined ? utteranceEndMs / 1000 : undefined;
  }

  #step(now: number, loud: boolean): void {
    const region = this.#region;
    if (loud) {
      if (!region)
        this.#region = { start: now - WINDOW_S, lastLoud: now, words: undefined, pieceStart: 0 };
      else region.lastLoud = now;
      const current = this.#region as Region;
      if (!current.words && current.lastLoud - current.start >= MIN_SPEECH_S - 1e-9) {
        this.#confirm(current);
      }
    } else if (region && now - region.lastLoud >= HANGOVER_S - 1e-9) {
      this.#endRegion(region, now);
      if (this.#endpointS === undefined && this.#pending.length > 0) this.#final(now, {});
    }
    this.#tick(now);
  }

  #confirm(region: Region): void {
    region.words = new RegionWords(this.#options.takeScript());
    region.pieceStart = region.start;
    this.#utteranceEndDue = false;
    this.#speechSince ??= region.start;
    if (this.#options.vadEvents) {
      this.#options.emit({ kind: 'speech-started', timestamp: round(region.start) });
    }
  }

  /** Closes the region: its remaining words join the pending ones. A region never confirmed leaves nothing. */
  #endRegion(region: Region, now: number): void {
    this.#region = undefined;
    if (!region.words) return;
    const words = region.words.piece(region.pieceStart, region.lastLoud, true, true);
    endSentence(words);
    this.#take(words);
    if (this.#endpointS !== undefined) this.#speechEnd = Math.min(region.lastLoud, now);
    this.#utteranceEndDue = true;
  }

  /** Gives the part of the open region heard so far to the pending words (a final is forced mid-speech). */
  #split(now: number): void {
    const region = this.#region;
    if (!region?.words) return;
    this.#take(region.words.piece(region.pieceStart, Math.min(region.lastLoud, now), false, true));
    region.pieceStart = now;
  }

  #take(words: DeepgramWord[]): void {
    this.#pending.push(...words);
    const last = words.at(-1);
    if (last) this.#lastWordEnd = last.end;
  }

  #tick(now: number): void {
    const speaking = this.#region?.words !== undefined;
    if (
      this.#endpointS !== undefined &&
      !speaking &&
      this.#speechEnd !== undefined &&
      now - this.#speechEnd >= this.#endpointS - 1e-9
    ) {
      this.#speechEnd = undefined;
      this.#final(now, { speechFinal: true });
    }
    const since = this.#speechSince ?? now;
    if (speaking && now - since >= MAX_SEGMENT_S - 1e-9) {
      this.#split(now);
      this.#final(now, {});
    }
    if (
      this.#options.interimResults &&
      (speaking || this.#pending.length > 0) &&
      now - Math.max(this.#lastResultAt, since) >= INTERIM_EVERY_S - 1e-9
    ) {
      this.#interim(now);
    }
    const gap = this.#utteranceEndS;
    if (
      gap !== undefined &&
      this.#utteranceEndDue &&
      !speaking &&
      this.#lastWordEnd !== undefined &&
      now - this.#lastWordEnd >= gap - 1e-9
    ) {
      this.#sendUtteranceEnd();
    }
  }

  #sendUtteranceEnd(): void {
    if (!this.#utteranceEndDue || this.#utteranceEndS === undefined) return;
    if (this.#lastWordEnd === undefined) return;
    this.#utteranceEndDue = false;
    this.#options.emit({ kind: 'utterance-end', lastWordEnd: this.#lastWordEnd });
  }

  #interim(now: number): void {
    const region = this.#region;
    const open = region?.words
      ? region.words.piece(region.pieceStart, region.lastLoud, false, false)
      : [];
    this.#results(now, [...this.#pending, ...open], { isFinal: false });
  }

  #final(now: number, flags: { speechFinal?: boolean; fromFinalize?: boolean }): void {
    const words = this.#pending;
    this.#pending = [];
    this.#results(now, words, { isFinal: true, ...flags });
    this.#segmentStart = now;
    this.#speechSince = this.#region?.words ? now : undefined;
  }

  #results(
    now: number,
    words: DeepgramWord[],
    flags: { isFinal: boolean; speechFinal?: boolean; fromFinalize?: boolean },
  ): void {
    this.#lastResultAt = now;
    this.#options.emit({
      kind: 'results',
      start: round(this.#segmentStart),
      duration: round(now - this.#segmentStart),
      isFinal: flags.isFinal,
      speechFinal: flags.speechFinal ?? false,
      fromFinalize: flags.fromFinalize ?? false,
      words,
    });
  }
}

/** RMS of 16-bit little-endian samples (all channels together), full scale = 1. */
function rms(data: Buffer, offset: number, length: number): number {
  let sum = 0;
  const count = length >> 1;
  for (let i = 0; i < count; i++) {
    const sample = data.readInt16LE(offset + 2 * i) / 32768;
    sum += sample * sample;
  }
  return Math.sqrt(sum / count);
}
