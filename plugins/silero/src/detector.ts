import type { DetectionOptions } from './options.js';

export type Transition = 'start' | 'end' | undefined;

type Thresholds = Pick<
  DetectionOptions,
  'activationThreshold' | 'deactivationThreshold' | 'minSpeechDuration' | 'minSilenceDuration'
>;

/**
 * Turns the model's per-window speech probabilities into utterances. It knows nothing of
 * audio or the model, only times (seconds) and probabilities, so it is tested on its own.
 *
 * A window is speech at or above the activation threshold and silence below the
 * deactivation threshold; in between it continues whatever was going on (hysteresis).
 * Speech starts once speech windows have lasted `minSpeechDuration` without a silent window
 * breaking the run, and ends once silence has lasted `minSilenceDuration`.
 */
export class SpeechDetector {
  /** Read on every window, so an update applies from the next one. */
  options: Thresholds;
  #speaking = false;
  /** While not speaking: start of a run of speech windows not yet long enough to count. */
  #candidateStart: number | undefined;
  /** Start of the current utterance (or of the last one, once it has ended). */
  #speechStart = 0;
  /** End of the latest window that belonged to speech; the stream's start before any speech. */
  #speechEnd = 0;
  /** While speaking: start of the silence that may end the utterance. */
  #silenceStart: number | undefined;

  constructor(options: Thresholds) {
    this.options = options;
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /** Where the frames worth keeping start: the utterance, or the speech that may begin one. */
  get earliestSpeech(): number | undefined {
    return this.#speaking ? this.#speechStart : this.#candidateStart;
  }

  get speechStart(): number {
    return this.#speechStart;
  }

  /** Length of the current utterance so far, or of the one that just ended. */
  get speechDuration(): number {
    return this.#speechEnd - this.#speechStart;
  }

  /** Silence before `now`: since the last speech, or 0 while speech goes on. */
  silenceDuration(now: number): number {
    if (this.#speaking && this.#silenceStart === undefined) return 0;
    return Math.max(0, now - this.#speechEnd);
  }

  /** Feeds one window's probability; says whether speech started or ended with it. */
  update(probability: number, windowStart: number, windowEnd: number): Transition {
    const { activationThreshold, deactivationThreshold } = this.options;
    const isSpeech = probability >= activationThreshold;
    const isSilence = probability < deactivationThreshold;

    if (!this.#speaking) {
      if (this.#candidateStart === undefined) {
        if (!isSpeech) return undefined;
        this.#candidateStart = windowStart;
      } else if (isSilence) {
        this.#candidateStart = undefined;
        return undefined;
      }
      if (windowEnd - this.#candidateStart < this.options.minSpeechDuration) return undefined;
      this.#speaking = true;
      this.#speechStart = this.#candidateStart;
      this.#speechEnd = windowEnd;
      this.#candidateStart = undefined;
      this.#silenceStart = undefined;
      return 'start';
    }

    if (this.#silenceStart === undefined) {
      if (!isSilence) {
        this.#speechEnd = windowEnd;
        return undefined;
      }
      this.#silenceStart = windowStart;
    } else if (isSpeech) {
      this.#silenceStart = undefined;
      this.#speechEnd = windowEnd;
      return undefined;
    }
    if (windowEnd - this.#silenceStart < this.options.minSilenceDuration) return undefined;
    this.#speaking = false;
    this.#silenceStart = undefined;
    return 'end';
  }

  /**
   * Ends the segment (a flush, or the end of input): an utterance in progress ends now,
   * speech not yet confirmed is forgotten. Returns 'end' if an utterance was open.
   */
  finish(): Transition {
    this.#candidateStart = undefined;
    if (!this.#speaking) return undefined;
    this.#speaking = false;
    this.#silenceStart = undefined;
    return 'end';
  }
}
