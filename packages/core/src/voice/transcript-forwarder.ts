import { log } from '../log.js';
import type { Clock } from './clock.js';
import type { Alignment } from './heard-text.js';
import type { AudioOutput, TextOutput } from './io.js';

const TICK_MS = 100;
/** Floor of an early wake-up for the next word: bounds the work of a busy stretch. */
const MIN_TICK_MS = 10;

/**
 * Sends an agent segment's words to a text output as they are played: it
 * reads the output's playhead (every 100 ms, sooner when the next word is
 * due) and forwards the words heard by then, so a paused or cut-off reply shows exactly what was heard.
 */
export class AgentTranscriptForwarder {
  readonly #clock: Clock;
  readonly #output: AudioOutput;
  readonly #text: TextOutput;
  readonly #alignment: Alignment;
  #sent = 0;
  #cancelTick: (() => void) | undefined;
  #done = false;

  constructor(clock: Clock, output: AudioOutput, text: TextOutput, alignment: Alignment) {
    this.#clock = clock;
    this.#output = output;
    this.#text = text;
    this.#alignment = alignment;
  }

  start(): void {
    if (this.#cancelTick || this.#done) return;
    this.#tick();
  }

  /** Sends the words heard by `position` (all of them when undefined) and ends the segment. */
  finish(position: number | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#cancelTick?.();
    this.#cancelTick = undefined;
    this.#forward(position ?? Number.POSITIVE_INFINITY);
    try {
      this.#text.flush();
    } catch (error) {
      log().warn({ err: error }, 'agent transcript output failed to flush');
    }
  }

  #tick(): void {
    const position = this.#output.playedSeconds;
    this.#forward(position);
    this.#cancelTick = this.#clock.setTimer(this.#nextTickMs(position), () => {
      if (!this.#done) this.#tick();
    });
  }

  /** Wakes when the next word's middle is due (if playout goes on), at most TICK_MS later. */
  #nextTickMs(position: number): number {
    if (this.#sent >= this.#alignment.wordCount) return TICK_MS;
    const next = this.#alignment.wordAt(this.#sent);
    const dueMs = ((next.start + next.end) / 2 - position) * 1000;
    return Number.isFinite(dueMs) ? Math.min(TICK_MS, Math.max(MIN_TICK_MS, dueMs)) : TICK_MS;
  }

  #forward(position: number): void {
    const heard = this.#alignment.heardCount(position, this.#sent);
    for (; this.#sent < heard; this.#sent++) {
      const word = this.#alignment.wordAt(this.#sent);
      // Words are appended by the sink: the space between them travels with the word.
      const piece = { ...word, text: this.#sent === 0 ? word.text : ` ${word.text}` };
      this.#text.captureText(piece).catch((error: unknown) => {
        log().warn({ err: error }, 'agent transcript output failed');
      });
    }
  }
}

/** The user's transcript: interims replace each other, a final ends the segment. */
export class UserTranscriptForwarder {
  readonly #text: TextOutput;

  constructor(text: TextOutput) {
    this.#text = text;
  }

  interim(text: string): void {
    this.#capture(text);
  }

  final(text: string): void {
    this.#capture(text);
    try {
      this.#text.flush();
    } catch (error) {
      log().warn({ err: error }, 'user transcript output failed to flush');
    }
  }

  #capture(text: string): void {
    this.#text.captureText(text).catch((error: unknown) => {
      log().warn({ err: error }, 'user transcript output failed');
    });
  }
}
