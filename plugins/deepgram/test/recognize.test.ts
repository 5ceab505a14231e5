import { APIStatusError, APITimeoutError, stt } from '@agents/core';
import { DeepgramStandIn, scaledMs } from '@agents/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STT } from '../src/index.js';
import { SPEECH, SPEECH_REGIONS, slice } from './helpers.js';

const KEY = 'dg-test';
let dg: DeepgramStandIn;
beforeEach(async () => {
  dg = await DeepgramStandIn.start({ apiKey: KEY });
});
afterEach(async () => {
  await dg.close();
});

const firstSentence = () => slice(SPEECH, 0, SPEECH_REGIONS[0]![1] + 0.3);

describe('deepgram.STT recognize(), against the stand-in', () => {
  it('transcribes through the pre-recorded endpoint with words and timings', async () => {
    dg.scriptTranscripts('Hello there.');
    const model = new STT({
      apiKey: KEY,
      baseURL: dg.url,
      language: 'en-GB',
      keyterms: ['Kenobi'],
    });
    const event = await model.recognize(firstSentence());
    expect(event.type).toBe(stt.SpeechEventType.FINAL_TRANSCRIPT);
    const said = event.alternatives[0]!;
    expect(said.text).toBe('Hello there.');
    expect(said.words!.map((w) => w.text)).toEqual(['Hello', 'there.']);
    expect(said.startTime).toBeGreaterThanOrEqual(SPEECH_REGIONS[0]![0] - 0.05);
    expect(event.requestId).toBe(dg.requests[0]!.requestId);
    const request = dg.requests[0]!;
    expect(request.query.get('language')).toBe('en-GB');
    expect(request.query.getAll('keyterm')).toEqual(['Kenobi']);
    expect(request.headers.authorization).toBe(`Token ${KEY}`);
  });

  it('a refused key fails at once, naming DEEPGRAM_API_KEY', async () => {
    const model = new STT({
      apiKey: 'wrong',
      baseURL: dg.url,
      connectOptions: { retryIntervalMs: 1 },
    });
    const error = await model.recognize(firstSentence()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as Error).message).toMatch(/DEEPGRAM_API_KEY/);
    expect(dg.requests).toHaveLength(1);
  });

  it(
    'a request that is never answered times out under our deadline and is retried',
    async () => {
      // The stand-in holds the first request for good; the deadline is the same for both attempts,
      // so it must be long enough for the answered one even on a starved machine.
      dg.injectFault('stall');
      const model = new STT({
        apiKey: KEY,
        baseURL: dg.url,
        connectOptions: { timeoutMs: scaledMs(10_000), retryIntervalMs: 1, maxRetry: 1 },
      });
      const event = await model.recognize(firstSentence());
      expect(event.alternatives[0]!.text).not.toBe('');
      expect(dg.requests.map((r) => r.faults)).toEqual([['stall'], []]);
    },
    scaledMs(40_000),
  );

  it('gives up with a timeout error once retries run out', async () => {
    dg.injectFault('stall', { times: 2 });
    const model = new STT({
      apiKey: KEY,
      baseURL: dg.url,
      connectOptions: { timeoutMs: scaledMs(200), retryIntervalMs: 1, maxRetry: 1 },
    });
    await expect(model.recognize(firstSentence())).rejects.toBeInstanceOf(APITimeoutError);
  });

  it('stops at once when the caller aborts', async () => {
    dg.injectFault('stall');
    const model = new STT({ apiKey: KEY, baseURL: dg.url });
    const controller = new AbortController();
    const pending = model.recognize(firstSentence(), { signal: controller.signal });
    await dg.waitUntil(() => dg.requests[0], 'the request');
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    expect(dg.requests).toHaveLength(1);
  });
});
