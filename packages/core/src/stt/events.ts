/** What a speech-to-text stream reports, in this order per utterance. */
export const SpeechEventType = {
  /** The user started speaking (from the provider's or a VAD's detection). */
  START_OF_SPEECH: 'start_of_speech',
  /** A provisional transcript of the speech so far; later ones replace it. */
  INTERIM_TRANSCRIPT: 'interim_transcript',
  /** A settled transcript of a stretch of speech; it will not change. */
  FINAL_TRANSCRIPT: 'final_transcript',
  /** The user stopped speaking; carries the utterance's whole transcript. */
  END_OF_SPEECH: 'end_of_speech',
} as const;
export type SpeechEventType = (typeof SpeechEventType)[keyof typeof SpeechEventType];

/**
 * When a word was spoken, in seconds. In a transcript (`SpeechData.words`)
 * the times count from the start of the stream's audio; on synthesized audio
 * (`SynthesizedAudio.words`) from the start of the segment's audio.
 */
export interface TimedWord {
  text: string;
  startTime: number;
  endTime: number;
  /** 0 to 1, when the provider gives one. */
  confidence?: number;
}

/** One hypothesis of what was said. Times are seconds from the start of the stream's audio. */
export interface SpeechData {
  text: string;
  language: string;
  /** 0 to 1; 0 when the provider gives none. */
  confidence: number;
  startTime: number;
  endTime: number;
  /** The words with their timings, when the provider gives them. */
  words?: TimedWord[];
}

export interface SpeechEvent {
  type: SpeechEventType;
  /** Best first; empty for START_OF_SPEECH. */
  alternatives: SpeechData[];
  requestId: string;
}
