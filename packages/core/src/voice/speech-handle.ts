import { abortable } from '../utils/deadline.js';
import { Future } from '../utils/future.js';
import { shortId } from '../utils/ids.js';
import type { SpeechOutcome } from './assistant-types.js';

/** Why a speech's signal aborted. */
export class SpeechStopped extends Error {
  override name = 'SpeechStopped';
  readonly outcome: 'interrupted' | 'cancelled';

  constructor(outcome: 'interrupted' | 'cancelled', why: string) {
    super(`speech ${outcome}: ${why}`);
    this.outcome = outcome;
  }
}

export interface SpeechHandleInit {
  allowInterruptions: boolean;
  addToChatCtx: boolean;
  /** The user's words this speech answers (a reply to a turn), if any. */
  userText?: string;
}

/**
 * One agent utterance (a reply with its tool steps, or a `say()`). It may be
 * prepared before it is allowed to play (`authorize()`), and ends in exactly
 * one outcome, set by its runner in a `finally`; `waitForPlayout()` resolves
 * with it.
 */
export class SpeechHandle {
  readonly id = shortId('speech');
  readonly allowInterruptions: boolean;
  readonly addToChatCtx: boolean;
  readonly userText: string | undefined;
  readonly #abort = new AbortController();
  readonly #authorized = new Future<void>();
  readonly #outcome = new Future<SpeechOutcome>();
  #settled: SpeechOutcome | undefined;
  /** Agent audio of this speech is in the output (possibly paused). */
  playing = false;
  /** Paused by a possible interruption, waiting for words or the false-interruption timeout. */
  paused = false;
  /** What the listener heard of it so far (all of it once played out). */
  heardText = '';

  constructor(init: SpeechHandleInit) {
    this.allowInterruptions = init.allowInterruptions;
    this.addToChatCtx = init.addToChatCtx;
    this.userText = init.userText;
  }

  /** Aborts when the speech is interrupted or cancelled: every await of its work races it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get authorized(): boolean {
    return this.#authorized.done;
  }

  get outcome(): SpeechOutcome | undefined {
    return this.#settled;
  }

  get done(): boolean {
    return this.#settled !== undefined;
  }

  /** Why it stopped early, if it did. */
  get stopReason(): SpeechStopped | undefined {
    const reason = this.#abort.signal.reason;
    return reason instanceof SpeechStopped ? reason : undefined;
  }

  /** Allows the speech to play (its turn was confirmed). */
  authorize(): void {
    this.#authorized.resolve();
  }

  /** Resolves once authorized; rejects when the speech stops first. */
  waitForAuthorization(): Promise<void> {
    return abortable(this.#authorized.promise, this.signal);
  }

  /** Resolves with the outcome once the speech has ended. */
  waitForPlayout(): Promise<SpeechOutcome> {
    return this.#outcome.promise;
  }

  /** Stops a speech that was heard (or authorized): what was heard is kept. */
  interrupt(why = 'interrupted'): void {
    this.#stop(this.authorized ? 'interrupted' : 'cancelled', why);
  }

  /** Drops a speech: nothing of it is committed unless it was already heard. */
  cancel(why = 'cancelled'): void {
    this.#stop(this.playing ? 'interrupted' : 'cancelled', why);
  }

  /** Sets the one terminal outcome; later calls are ignored. For the runner's `finally`. */
  settle(outcome: SpeechOutcome): void {
    if (this.#settled) return;
    this.#settled = outcome;
    this.playing = false;
    this.paused = false;
    if (!this.#abort.signal.aborted) this.#abort.abort(new SpeechStopped('cancelled', 'ended'));
    this.#outcome.resolve(outcome);
  }

  #stop(outcome: 'interrupted' | 'cancelled', why: string): void {
    if (this.#settled || this.#abort.signal.aborted) return;
    this.#abort.abort(new SpeechStopped(outcome, why));
  }
}
