import { vad } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { assertSpeechEvents, FIXTURE_REGIONS } from '../../src/conformance/index.js';

const T = vad.VADEventType;
const event = (type: vad.VADEventType, timestamp: number): vad.VADEvent => ({
  type,
  samplesIndex: Math.round(timestamp * 16000),
  timestamp,
  speechDuration: 0,
  silenceDuration: 0,
  probability: 0.5,
  inferenceDurationMs: 1,
  speaking: type === T.START_OF_SPEECH,
  frames: [],
});

describe('the VAD speech-events check fails a VAD that breaks its promise', () => {
  it('passes START/END around each sentence, fails END before START, a missed sentence, speech in silence', () => {
    const good = FIXTURE_REGIONS.flatMap(([a, b]) => [
      event(T.START_OF_SPEECH, a + 0.1),
      event(T.END_OF_SPEECH, b + 0.3),
    ]);
    expect(() => assertSpeechEvents(good)).not.toThrow();
    expect(() => assertSpeechEvents([event(T.END_OF_SPEECH, 1), ...good])).toThrow(
      /without START_OF_SPEECH/,
    );
    expect(() => assertSpeechEvents(good.slice(2))).toThrow(/is in no START…END span/);
    expect(() =>
      assertSpeechEvents([event(T.START_OF_SPEECH, 0.05), event(T.END_OF_SPEECH, 0.1), ...good]),
    ).toThrow(/where the fixture is silent/);
  });
});
