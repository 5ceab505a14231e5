import { describe, expect, it } from 'vitest';
import { runCheck, type TTSConformanceOptions, ttsChecks } from '../../src/conformance/index.js';
import { scaledMs } from '../../src/time.js';
import { GOOD_KEY, ToyService, ToyTTS, type TTSFlaw } from './tts-toy.js';

function options(flaws: TTSFlaw[] = []): TTSConformanceOptions {
  return {
    name: 'toy TTS',
    service: async () => new ToyService(),
    create: (service) => new ToyTTS(service as ToyService, GOOD_KEY, flaws),
    createWithBadKey: (service) => new ToyTTS(service as ToyService, 'wrong', flaws),
    wordTimings: true,
  };
}

function check(id: string) {
  const found = ttsChecks.find((c) => c.id === id);
  if (!found) throw new Error(`no TTS check ${id}`);
  return found;
}

// Registration forks a process and needs a package: kit-a's tests cover the helper.
const runnable = ttsChecks.filter((c) => c.id !== 'registration');

describe('the TTS conformance checks', () => {
  for (const c of runnable) {
    it(`pass a correct TTS: ${c.id}`, () => runCheck(c, options()), c.timeoutMs + scaledMs(20_000));
  }

  const broken: [TTSFlaw, string, RegExp][] = [
    ['wrong-rate', 'chunked-audio', /sample rate 32000, declared 16000/],
    ['drops-fragments', 'stream-fragments', /fragments/],
    ['extra-segment', 'stream-segments', /segment|order/],
    ['merges-segments', 'stream-interleaved', /1 segments .* for 3 flushed texts/],
    ['keeps-request-open', 'stream-close', /still has 1 request/],
    ['keeps-request-open', 'stream-break', /still has 1 request/],
    ['keeps-request-open', 'chunked-close', /still has 1 request/],
    ['untyped-errors', 'error-retryable', /expected an APIStatusError/],
    ['untyped-errors', 'stream-error-retryable', /expected an APIStatusError/],
    ['retryable-4xx', 'error-permanent', /retryable=false/],
    ['bad-key-retryable', 'bad-key', /retryable=false/],
    ['no-reconnect', 'stream-reconnect', /APIConnectionError|drop/],
    ['double-metrics', 'metrics', /TTS metrics for 2 stream segments/],
    ['bad-word-timings', 'word-timings', /must not go back/],
    ['holds-frames', 'long-stream', /memory grew/],
    ['leaks-listener', 'nothing-left', /tts 'metrics_collected' listeners/],
  ];
  for (const [flaw, id, message] of broken) {
    it(
      `reject a TTS with the flaw ${flaw}: ${id}`,
      async () => {
        const error = await runCheck(check(id), options([flaw])).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${id} passed a TTS with ${flaw}`).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(message);
      },
      check(id).timeoutMs + scaledMs(20_000),
    );
  }
});
