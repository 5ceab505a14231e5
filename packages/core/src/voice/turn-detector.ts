import { type SpeechEvent, SpeechEventType } from '../stt/events.js';
import { type VADEvent, VADEventType } from '../vad/vad.js';
import { type Clock, TimerSlot } from './clock.js';

export interface TurnTiming {
  /** End of the user's last voiced audio (the endpointing anchor). */
  userSpeechEndedAt: number | undefined;
  finalTranscriptAt: number | undefined;
  endOfTurnAt: number;
}

export interface TurnDetectorHooks {
  userStarted(at: number): void;
  userStopped(at: number): void;
  /** VAD progress while the user speaks: seconds of this speech so far. */
  speechProgress(speechSeconds: number, probability: number): void;
  /** What the STT just said: an interim hypothesis or a final, as it came. */
  transcript(text: string, isFinal: boolean): void;
  /** The turn's words so far changed (a final or an interim): `finalText` is what a final settled. */
  transcriptChanged(finalText: string, interimText: string, isFinal: boolean): void;
  commit(text: string, timing: TurnTiming): void;
  /** The user made noise but no words came by maxEndpointingDelay. */
  transcriptionTimeout(): void;
}

export interface EndpointingOptions {
  minEndpointingDelay: number;
  maxEndpointingDelay: number;
}

/**
 * VAD and STT together decide where the user's turn ends: with a final
 * transcript in hand, `minEndpointingDelay` after the last voiced audio (a
 * late final commits at once); with none by `maxEndpointingDelay`, the
 * interim text commits, or the turn is dropped. Speech resuming before the
 * end keeps the text, so a pause inside one utterance gives one turn.
 */
export class TurnDetector {
  readonly #clock: Clock;
  readonly #options: EndpointingOptions;
  readonly #hooks: TurnDetectorHooks;
  readonly #timer: TimerSlot;
  #finals: string[] = [];
  #interim = '';
  #speaking = false;
  #lastVoicedAt: number | undefined;
  #finalAt: number | undefined;

  constructor(clock: Clock, options: EndpointingOptions, hooks: TurnDetectorHooks) {
    this.#clock = clock;
    this.#options = options;
    this.#hooks = hooks;
    this.#timer = new TimerSlot(clock);
  }

  get userSpeaking(): boolean {
    return this.#speaking;
  }

  /** The turn's text so far, finals then the interim. */
  get text(): string {
    return [...this.#finals, this.#interim].filter((t) => t.length > 0).join(' ');
  }

  get finalText(): string {
    return this.#finals.join(' ');
  }

  wordCount(): number {
    return this.text.split(/\s+/).filter((w) => w.length > 0).length;
  }

  onVAD(event: VADEvent): void {
    const now = this.#clock.now();
    if (event.type === VADEventType.START_OF_SPEECH) {
      this.#speaking = true;
      this.#timer.clear();
      this.#hooks.userStarted(now);
    } else if (event.type === VADEventType.END_OF_SPEECH) {
      if (!this.#speaking) return;
      this.#speaking = false;
      // The VAD reports the end after its silence window: the voice stopped that long ago.
      this.#lastVoicedAt = now - event.silenceDuration * 1000;
      this.#hooks.userStopped(now);
      this.#schedule();
    } else if (this.#speaking) {
      this.#hooks.speechProgress(event.speechDuration, event.probability);
    }
  }

  /**
   * The VAD stream failed: its END_OF_SPEECH will never come, so the speech
   * ends now (a restarted stream reports it again if the user goes on).
   */
  vadLost(): void {
    if (!this.#speaking) return;
    this.#speaking = false;
    const now = this.#clock.now();
    this.#lastVoicedAt = now;
    this.#hooks.userStopped(now);
    this.#schedule();
  }

  onSTT(event: SpeechEvent): void {
    const text = event.alternatives[0]?.text.trim() ?? '';
    if (event.type === SpeechEventType.INTERIM_TRANSCRIPT) {
      if (text === this.#interim) return;
      this.#interim = text;
      if (text) this.#hooks.transcript(text, false);
      this.#hooks.transcriptChanged(this.finalText, text, false);
    } else if (event.type === SpeechEventType.FINAL_TRANSCRIPT) {
      this.#interim = '';
      if (!text) return;
      this.#finals.push(text);
      this.#hooks.transcript(text, true);
      this.#finalAt = this.#clock.now();
      this.#hooks.transcriptChanged(this.finalText, '', true);
      // The VAD may have missed speech the STT heard: the final's arrival is the anchor.
      if (!this.#speaking) {
        this.#lastVoicedAt ??= this.#finalAt;
        this.#schedule();
      }
    }
  }

  /** Forgets the turn in progress (closing). */
  reset(): void {
    this.#timer.clear();
    this.#finals = [];
    this.#interim = '';
    this.#lastVoicedAt = undefined;
    this.#finalAt = undefined;
  }

  close(): void {
    this.reset();
  }

  #schedule(): void {
    const anchor = this.#lastVoicedAt;
    if (this.#speaking || anchor === undefined) return;
    const now = this.#clock.now();
    if (this.#finals.length > 0) {
      const due = anchor + this.#options.minEndpointingDelay * 1000;
      if (due <= now) this.#commit(this.finalText);
      else this.#timer.set(due - now, () => this.#commit(this.finalText));
      return;
    }
    const due = anchor + this.#options.maxEndpointingDelay * 1000;
    this.#timer.set(Math.max(0, due - now), () => {
      if (this.#interim) this.#commit(this.#interim);
      else {
        this.reset();
        this.#hooks.transcriptionTimeout();
      }
    });
  }

  #commit(text: string): void {
    const timing: TurnTiming = {
      userSpeechEndedAt: this.#lastVoicedAt,
      finalTranscriptAt: this.#finalAt,
      endOfTurnAt: this.#clock.now(),
    };
    this.reset();
    this.#hooks.commit(text, timing);
  }
}
