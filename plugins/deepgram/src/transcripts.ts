import { stt } from '@agents/core';
import type { listen } from '@deepgram/sdk';

type Results = listen.v1.ListenV1Results;
type Alternative = Results['channel']['alternatives'][number];

/** A server message that does not have the shape the protocol gives it. */
export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
}

export interface Mapped {
  events: stt.SpeechEvent[];
  /**
   * Stream time (s) up to which the service has settled the transcript (a final
   * result's window end): the audio before it never needs to be sent again.
   */
  settledUntil?: number;
}

/**
 * Turns Deepgram's live messages into speech events, one utterance at a time:
 * START_OF_SPEECH (from `SpeechStarted`, or the first words), INTERIM and
 * FINAL transcripts, then END_OF_SPEECH with every final of the utterance
 * joined, on `speech_final`, `UtteranceEnd` or a final forced by `Finalize`.
 * The state machine gives exactly one END per START, whatever the order or
 * repetition of the signals; it survives reconnects (the utterance goes on).
 *
 * Times: each connection counts from 0; `offset` is the stream time at which
 * the connection's first audio started, so events carry stream time.
 */
export class TranscriptMapper {
  readonly #language: string;
  #speaking = false;
  #finals: stt.SpeechData[] = [];
  #requestId = '';

  constructor(language: string) {
    this.#language = language;
  }

  /** Inside an utterance: between START_OF_SPEECH and its END_OF_SPEECH. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** Maps one parsed message; throws `MalformedMessageError` for a wrong shape. */
  map(message: unknown, offset: number): Mapped {
    if (!isObject(message) || typeof message.type !== 'string') {
      throw new MalformedMessageError('a message without a type');
    }
    switch (message.type) {
      case 'Results':
        return this.#results(checkResults(message), offset);
      case 'SpeechStarted':
        return { events: this.#start() };
      case 'UtteranceEnd':
        return { events: this.#end() };
      case 'Metadata':
        if (typeof message.request_id === 'string') this.#requestId = message.request_id;
        return { events: [] };
      default:
        throw new MalformedMessageError(`an unknown message type ${JSON.stringify(message.type)}`);
    }
  }

  #results(results: Results, offset: number): Mapped {
    this.#requestId = results.metadata?.request_id ?? this.#requestId;
    const events: stt.SpeechEvent[] = [];
    const alternatives = results.channel.alternatives.map((a) =>
      this.#speechData(a, results, offset),
    );
    if (alternatives[0] && alternatives[0].text !== '') {
      events.push(...this.#start());
      if (results.is_final) {
        this.#finals.push(alternatives[0]);
        events.push(this.#event(stt.SpeechEventType.FINAL_TRANSCRIPT, alternatives));
      } else {
        events.push(this.#event(stt.SpeechEventType.INTERIM_TRANSCRIPT, alternatives));
      }
    }
    // A final forced by Finalize ends the utterance: the caller said the segment is over.
    if (results.is_final && (results.speech_final || results.from_finalize)) {
      events.push(...this.#end());
    }
    const settledUntil = results.is_final ? offset + results.start + results.duration : undefined;
    return { events, settledUntil };
  }

  #start(): stt.SpeechEvent[] {
    if (this.#speaking) return [];
    this.#speaking = true;
    this.#finals = [];
    return [this.#event(stt.SpeechEventType.START_OF_SPEECH, [])];
  }

  #end(): stt.SpeechEvent[] {
    if (!this.#speaking) return [];
    this.#speaking = false;
    const finals = this.#finals;
    this.#finals = [];
    // Speech with no words (a cough) still ends, with no transcript, as StreamAdapter does.
    const alternatives = finals.length > 0 ? [joinFinals(finals)] : [];
    return [this.#event(stt.SpeechEventType.END_OF_SPEECH, alternatives)];
  }

  #event(type: stt.SpeechEventType, alternatives: stt.SpeechData[]): stt.SpeechEvent {
    return { type, alternatives, requestId: this.#requestId };
  }

  #speechData(alternative: Alternative, results: Results, offset: number): stt.SpeechData {
    const words: stt.TimedWord[] = alternative.words.map((w) => ({
      text: w.punctuated_word ?? w.word,
      startTime: offset + w.start,
      endTime: offset + w.end,
      confidence: w.confidence,
    }));
    return {
      text: alternative.transcript.trim(),
      language: alternative.languages?.[0] ?? this.#language,
      confidence: alternative.confidence,
      startTime: words[0]?.startTime ?? offset + results.start,
      endTime: words.at(-1)?.endTime ?? offset + results.start + results.duration,
      words,
    };
  }
}

function joinFinals(finals: stt.SpeechData[]): stt.SpeechData {
  const first = finals[0]!;
  return {
    text: finals.map((f) => f.text).join(' '),
    language: first.language,
    confidence: finals.reduce((sum, f) => sum + f.confidence, 0) / finals.length,
    startTime: first.startTime,
    endTime: finals.at(-1)!.endTime,
    words: finals.flatMap((f) => f.words ?? []),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Checks the fields the mapping reads; anything else in the message is left alone. */
function checkResults(message: Record<string, unknown>): Results {
  const bad = (what: string): never => {
    throw new MalformedMessageError(`a Results message with ${what}`);
  };
  if (typeof message.start !== 'number' || typeof message.duration !== 'number') {
    bad('no start or duration');
  }
  const channel = message.channel;
  if (!isObject(channel) || !Array.isArray(channel.alternatives)) bad('no channel.alternatives');
  for (const alternative of (channel as { alternatives: unknown[] }).alternatives) {
    if (!isObject(alternative) || typeof alternative.transcript !== 'string') {
      bad('an alternative without a transcript');
    }
    const { words, confidence } = alternative as Record<string, unknown>;
    if (typeof confidence !== 'number') bad('an alternative without a confidence');
    if (!Array.isArray(words)) bad('an alternative without words');
    for (const word of words as unknown[]) {
      if (
        !isObject(word) ||
        typeof word.word !== 'string' ||
        typeof word.start !== 'number' ||
        typeof word.end !== 'number' ||
        typeof word.confidence !== 'number'
      ) {
        bad('a word without word, start, end or confidence');
      }
    }
  }
  return message as unknown as Results;
}
