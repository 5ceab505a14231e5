import { APIStatusError, stt } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import {
  assertEventOrder,
  FIXTURE_UTTERANCES,
  runCheck,
  type ServiceControl,
  type STTConformanceOptions,
  sttChecks,
} from '../../src/conformance/index.js';

/** A service in the process: failNext makes the fake's next calls fail. */
function fakeService(): ServiceControl & { failing: number[] } {
  const failing: number[] = [];
  return {
    url: 'fake://stt',
    failing,
    openConnections: () => 0,
    failNext: (status, times = 1) => failing.push(...Array<number>(times).fill(status)),
    close: async () => {},
  };
}

type Breakage =
  | 'none'
  | 'wrong-words'
  | 'retryable-5xx-false'
  | 'bad-key-retryable'
  | 'leaked-timer'
  | 'keeps-audio';

/** A non-streaming STT, correct unless `breakage` says which promise it breaks. */
class FakeRecognizer extends stt.STT {
  readonly label = 'fake.STT';
  readonly #service: ReturnType<typeof fakeService>;
  readonly #key: string;
  readonly #breakage: Breakage;
  readonly #kept: Int16Array[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(service: ServiceControl, key: string, breakage: Breakage) {
    super({ streaming: false, interimResults: false });
    this.#service = service as ReturnType<typeof fakeService>;
    this.#key = key;
    this.#breakage = breakage;
  }

  protected async recognizeImpl(frame: AudioFrame): Promise<stt.SpeechEvent> {
    if (this.#breakage === 'leaked-timer') this.#timer ??= setInterval(() => {}, 60_000);
    if (this.#breakage === 'keeps-audio') this.#kept.push(frame.data.slice());
    if (this.#key !== 'good') {
      throw new APIStatusError('bad key', {
        status: 401,
        retryable: this.#breakage === 'bad-key-retryable',
      });
    }
    const status = this.#service.failing.shift();
    if (status !== undefined) {
      const retryable = this.#breakage === 'retryable-5xx-false' ? false : undefined;
      throw new APIStatusError(`failed with ${status}`, { status, retryable });
    }
    const text =
      this.#breakage === 'wrong-words' ? 'something else entirely' : FIXTURE_UTTERANCES[0]!;
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      requestId: '',
      alternatives: [{ text, language: 'en', confidence: 1, startTime: 0, endTime: 1 }],
    };
  }
}

const options = (breakage: Breakage): STTConformanceOptions => ({
  name: `fake (${breakage})`,
  service: async () => fakeService(),
  create: (service) => new FakeRecognizer(service, 'good', breakage),
  createWithBadKey: (service) => new FakeRecognizer(service, 'bad', breakage),
});

const checkById = (id: string) => sttChecks.find((c) => c.id === id)!;

describe('the STT checks fail a plugin that breaks their promise', () => {
  const cases: [check: string, breakage: Breakage, message: RegExp][] = [
    ['recognize', 'wrong-words', /expected the words/],
    ['server-error', 'retryable-5xx-false', /expected retryable=true/],
    ['bad-key', 'bad-key-retryable', /expected retryable=false/],
    ['nothing-left', 'leaked-timer', /Timeout: \d+ made/],
    ['long-stream', 'keeps-audio', /memory grew/],
  ];
  for (const [id, breakage, message] of cases) {
    it(`${id}: fails with ${breakage}, passes the correct fake`, { timeout: 120_000 }, async () => {
      await expect(runCheck(checkById(id), options(breakage))).rejects.toThrow(message);
      await runCheck(checkById(id), options('none'));
    });
  }

  it('stream-events: the order check refuses a FINAL before START_OF_SPEECH and an unended utterance', () => {
    const T = stt.SpeechEventType;
    const event = (type: stt.SpeechEventType, text = 'hi'): stt.SpeechEvent => ({
      type,
      requestId: '',
      alternatives:
        type === T.START_OF_SPEECH
          ? []
          : [{ text, language: 'en', confidence: 1, startTime: 0, endTime: 1 }],
    });
    expect(() =>
      assertEventOrder(
        [event(T.START_OF_SPEECH), event(T.FINAL_TRANSCRIPT), event(T.END_OF_SPEECH)],
        5,
      ),
    ).not.toThrow();
    expect(() =>
      assertEventOrder(
        [event(T.START_OF_SPEECH), event(T.END_OF_SPEECH), event(T.FINAL_TRANSCRIPT)],
        5,
      ),
    ).toThrow(/END_OF_SPEECH with no FINAL_TRANSCRIPT/);
    expect(() =>
      assertEventOrder([event(T.START_OF_SPEECH), event(T.FINAL_TRANSCRIPT)], 5),
    ).toThrow(/no END_OF_SPEECH/);
    expect(() => assertEventOrder([event(T.START_OF_SPEECH), event(T.START_OF_SPEECH)], 5)).toThrow(
      /a second START_OF_SPEECH/,
    );
  });
});
