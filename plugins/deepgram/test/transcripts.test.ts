import { stt } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { MalformedMessageError, TranscriptMapper } from '../src/transcripts.js';
import {
  closingMetadata,
  results,
  speechStarted,
  utterance,
  utteranceEnd,
} from './fixtures/messages.js';

const { START_OF_SPEECH, INTERIM_TRANSCRIPT, FINAL_TRANSCRIPT, END_OF_SPEECH } =
  stt.SpeechEventType;

function mapAll(mapper: TranscriptMapper, messages: unknown[], offset = 0) {
  return messages.flatMap((m) => mapper.map(m, offset).events);
}

describe('TranscriptMapper', () => {
  it('maps an utterance to start, interims, final and end, with word timings', () => {
    const events = mapAll(new TranscriptMapper('en-US'), utterance);
    expect(events.map((e) => e.type)).toEqual([
      START_OF_SPEECH,
      INTERIM_TRANSCRIPT,
      INTERIM_TRANSCRIPT,
      FINAL_TRANSCRIPT,
      END_OF_SPEECH,
    ]);
    const final = events[3]!.alternatives[0]!;
    expect(final).toMatchObject({
      text: 'Hello there.',
      language: 'en-US',
      confidence: 0.98,
      startTime: 0.52,
      endTime: 1.3,
    });
    expect(final.words).toEqual([
      { text: 'Hello', startTime: 0.52, endTime: 0.9, confidence: 0.97 },
      { text: 'there.', startTime: 0.9, endTime: 1.3, confidence: 0.97 },
    ]);
    expect(events[3]!.requestId).toBe('6b0c1c2e-9f3a-4a55-8d0e-2c1f6f3f9a01');
  });

  it('shifts every time by the connection offset', () => {
    const events = mapAll(new TranscriptMapper('en-US'), utterance, 10);
    const final = events.find((e) => e.type === FINAL_TRANSCRIPT)!.alternatives[0]!;
    expect(final.startTime).toBeCloseTo(10.52);
    expect(final.words!.map((w) => w.endTime)).toEqual([10.9, 11.3]);
  });

  it('reports how far the service has settled the audio, on finals only', () => {
    const mapper = new TranscriptMapper('en-US');
    expect(mapper.map(utterance[1], 5).settledUntil).toBeUndefined();
    expect(mapper.map(utterance[3], 5).settledUntil).toBeCloseTo(6.6);
    const silence = results({ start: 1.6, duration: 3, transcript: '', isFinal: true });
    expect(mapper.map(silence, 5)).toEqual({ events: [], settledUntil: 9.6 });
  });

  it('ends the utterance with every final since its start, joined', () => {
    const mapper = new TranscriptMapper('en-US');
    const events = mapAll(mapper, [
      speechStarted(0.1),
      results({
        start: 0,
        duration: 3,
        transcript: 'one two',
        words: [
          ['one', 0.2, 0.5],
          ['two', 0.6, 0.9],
        ],
        isFinal: true,
        confidence: 0.9,
      }),
      results({
        start: 3,
        duration: 2,
        transcript: 'three',
        words: [['three', 3.1, 3.5]],
        isFinal: true,
        confidence: 0.7,
      }),
      utteranceEnd(3.5),
    ]);
    const end = events.at(-1)!;
    expect(end.type).toBe(END_OF_SPEECH);
    expect(end.alternatives[0]).toMatchObject({
      text: 'one two three',
      startTime: 0.2,
      endTime: 3.5,
    });
    expect(end.alternatives[0]!.confidence).toBeCloseTo(0.8);
    expect(end.alternatives[0]!.words!.map((w) => w.text)).toEqual(['one', 'two', 'three']);
  });

  it('gives one end per start: speech_final then UtteranceEnd ends once', () => {
    const events = mapAll(new TranscriptMapper('en-US'), [
      ...utterance,
      utteranceEnd(1.3),
      utteranceEnd(1.3),
    ]);
    expect(events.filter((e) => e.type === END_OF_SPEECH)).toHaveLength(1);
  });

  it('starts once: repeated SpeechStarted and words while speaking give one start', () => {
    const events = mapAll(new TranscriptMapper('en-US'), [
      speechStarted(0.1),
      speechStarted(0.4),
      ...utterance,
    ]);
    expect(events.filter((e) => e.type === START_OF_SPEECH)).toHaveLength(1);
  });

  it('starts on words when no SpeechStarted came, and a new utterance after an end', () => {
    const events = mapAll(new TranscriptMapper('en-US'), [
      ...utterance.slice(1),
      ...utterance.slice(1),
    ]);
    expect(events.map((e) => e.type)).toEqual([
      START_OF_SPEECH,
      INTERIM_TRANSCRIPT,
      INTERIM_TRANSCRIPT,
      FINAL_TRANSCRIPT,
      END_OF_SPEECH,
      START_OF_SPEECH,
      INTERIM_TRANSCRIPT,
      INTERIM_TRANSCRIPT,
      FINAL_TRANSCRIPT,
      END_OF_SPEECH,
    ]);
  });

  it('ends speech without words with no transcript, and ignores an end without a start', () => {
    const mapper = new TranscriptMapper('en-US');
    expect(mapAll(mapper, [utteranceEnd(1)])).toEqual([]);
    const events = mapAll(mapper, [
      speechStarted(0.2),
      results({ start: 0, duration: 1, transcript: '', isFinal: true, speechFinal: true }),
    ]);
    expect(events.map((e) => [e.type, e.alternatives])).toEqual([
      [START_OF_SPEECH, []],
      [END_OF_SPEECH, []],
    ]);
  });

  it('ends the utterance on a final forced by Finalize (flush)', () => {
    const events = mapAll(new TranscriptMapper('en-US'), [
      results({
        start: 0,
        duration: 0.8,
        transcript: 'half a',
        words: [
          ['half', 0.1, 0.4],
          ['a', 0.4, 0.5],
        ],
        isFinal: true,
        fromFinalize: true,
      }),
    ]);
    expect(events.map((e) => e.type)).toEqual([START_OF_SPEECH, FINAL_TRANSCRIPT, END_OF_SPEECH]);
    expect(events.at(-1)!.alternatives[0]!.text).toBe('half a');
  });

  it('keeps an empty interim out of the events', () => {
    const mapper = new TranscriptMapper('en-US');
    expect(mapper.map(results({ start: 0, duration: 1, transcript: '' }), 0).events).toEqual([]);
    expect(mapper.speaking).toBe(false);
  });

  it('takes the request id from the closing Metadata, and emits nothing for it', () => {
    const mapper = new TranscriptMapper('en-US');
    expect(mapper.map(closingMetadata, 0).events).toEqual([]);
    expect(mapAll(mapper, [speechStarted(0)])[0]!.requestId).toBe(closingMetadata.request_id);
  });

  it('reports the language of each alternative in multilingual mode', () => {
    const message = results({
      start: 0,
      duration: 1,
      transcript: 'hola',
      words: [['hola', 0.1, 0.4]],
      isFinal: true,
    });
    message.channel.alternatives[0] = {
      ...message.channel.alternatives[0]!,
      languages: ['es'],
    } as never;
    const events = mapAll(new TranscriptMapper('multi'), [message]);
    expect(events.find((e) => e.type === FINAL_TRANSCRIPT)!.alternatives[0]!.language).toBe('es');
  });

  const wordWithoutTimes = results({
    start: 0,
    duration: 1,
    transcript: 'x',
    words: [['x', 0, 1]],
  });
  (wordWithoutTimes.channel.alternatives[0]!.words[0] as { start: unknown }).start = 'soon';

  it.each([
    ['no type', { channel: {} }],
    ['an unknown type', { type: 'Surprise' }],
    ['no alternatives', { ...results({ start: 0, duration: 1, transcript: 'x' }), channel: {} }],
    ['a word without times', wordWithoutTimes],
    ['no start', { ...results({ start: 0, duration: 1, transcript: 'x' }), start: undefined }],
  ])('rejects a message with %s as malformed, and its state survives', (_, message) => {
    const mapper = new TranscriptMapper('en-US');
    mapAll(mapper, [speechStarted(0)]);
    expect(() => mapper.map(message, 0)).toThrow(MalformedMessageError);
    expect(mapper.speaking).toBe(true);
    expect(mapAll(mapper, [utteranceEnd(1)]).map((e) => e.type)).toEqual([END_OF_SPEECH]);
  });
});
