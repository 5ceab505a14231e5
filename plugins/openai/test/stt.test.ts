import { APIStatusError, APITimeoutError, stt } from '@agents/core';
import { FakeVAD, scaledMs, splitFrame, testSpeechFrame } from '@agents/testing';
import { AudioFrame } from '@livekit/rtc-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STT } from '../src/index.js';
import { KEY, OpenAIStandIn } from './stand-in.js';

let openai: OpenAIStandIn;

beforeEach(async () => {
  openai = await OpenAIStandIn.start({ apiKey: KEY });
});
afterEach(async () => {
  await openai.close();
});

// A deadline an answered request meets on a starved machine (a retry would bring another
// request id and transcript); the test of the deadline itself sets its own.
const connectOptions = { maxRetry: 2, retryIntervalMs: 10, timeoutMs: scaledMs(30_000) };
const recognizer = (options: ConstructorParameters<typeof STT>[0] = {}) =>
  new STT({ apiKey: KEY, baseURL: openai.url, connectOptions, ...options });

/** `ms` of the test signal at 48 kHz stereo, as a room delivers it, in 10 ms frames. */
function roomAudio(ms: number): AudioFrame[] {
  const mono = testSpeechFrame(ms, 48_000);
  const stereo = new Int16Array(mono.samplesPerChannel * 2);
  for (let i = 0; i < mono.samplesPerChannel; i++) {
    stereo[2 * i] = mono.data[i]!;
    stereo[2 * i + 1] = mono.data[i]!;
  }
  return splitFrame(new AudioFrame(stereo, 48_000, 2, mono.samplesPerChannel), 10);
}

describe('openai.STT', () => {
  it('uploads the frames as one 16 kHz mono WAV and returns the transcript', async () => {
    openai.scriptTranscription({ text: ' Book a table for two. ' });
    const model = recognizer({ model: 'whisper-1', prompt: 'restaurant names' });
    const event = await model.recognize(roomAudio(1500), { language: 'en-US' });

    expect(event).toMatchObject({
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      requestId: 'req_standin_1',
      alternatives: [{ text: 'Book a table for two.', language: 'en-US', startTime: 0 }],
    });
    expect(event.alternatives[0]!.endTime).toBeCloseTo(1.5, 5);

    const request = openai.requestsTo('transcriptions')[0]!;
    // ISO-639-1, as the service requires; json, to read `text`.
    expect(request.body).toEqual({
      model: 'whisper-1',
      response_format: 'json',
      language: 'en',
      prompt: 'restaurant names',
    });
    expect(request.upload).toMatchObject({
      filename: 'audio.wav',
      contentType: 'audio/wav',
      sampleRate: 16_000,
      numChannels: 1,
    });
    // The resampler may shift a few samples at the edges, never more.
    expect(Math.abs(request.upload!.samplesPerChannel - 24_000)).toBeLessThanOrEqual(32);
  });

  it('uploads audio at 16 kHz or less as it is', async () => {
    await recognizer().recognize(testSpeechFrame(800, 8_000));
    expect(openai.requests[0]!.upload).toMatchObject({
      sampleRate: 8_000,
      samplesPerChannel: 6_400,
    });
    expect(openai.requests[0]!.body).toEqual({
      model: 'gpt-4o-transcribe',
      response_format: 'json',
    });
  });

  it('transcribes live audio through stt.StreamAdapter and a VAD', async () => {
    openai.scriptTranscription({ text: 'What time is it?' });
    const adapter = new stt.StreamAdapter({
      stt: recognizer(),
      vad: new FakeVAD({ streams: [[{ startMs: 200, endMs: 1200 }]] }),
    });
    const stream = adapter.stream();
    for (const frame of splitFrame(testSpeechFrame(1600, 16_000), 20)) stream.pushFrame(frame);
    stream.endInput();
    const events: stt.SpeechEvent[] = [];
    for await (const event of stream) events.push(event);

    expect(events.map((e) => e.type)).toEqual([
      stt.SpeechEventType.START_OF_SPEECH,
      stt.SpeechEventType.FINAL_TRANSCRIPT,
      stt.SpeechEventType.END_OF_SPEECH,
    ]);
    expect(events[1]!.alternatives[0]!.text).toBe('What time is it?');
    const upload = openai.requests[0]!.upload!;
    expect(upload.durationMs).toBeGreaterThanOrEqual(1000);
    expect(upload.durationMs).toBeLessThanOrEqual(1100);
  });

  it('retries a server error and a cut connection, then succeeds', async () => {
    openai.injectFault('transcriptions', { kind: 'status', status: 500 });
    openai.injectFault('transcriptions', { kind: 'cut', afterChunks: 0 });
    const event = await recognizer().recognize(testSpeechFrame(500, 16_000));
    expect(event.alternatives[0]!.text).toBe('I heard 0.5 seconds of audio.');
    expect(openai.requests.map((r) => r.outcome)).toEqual(['completed', 'cut', 'completed']);
  });

  it('times out a slow answer after each attempt', async () => {
    // Each attempt's deadline is long enough for its request to reach the stand-in on a busy
    // machine (which counts it), and far shorter than the stand-in's silence.
    openai.injectFault('transcriptions', { kind: 'slow', firstChunkDelayMs: scaledMs(20_000) }, 2);
    const model = recognizer({
      connectOptions: { maxRetry: 1, retryIntervalMs: 10, timeoutMs: scaledMs(1000) },
    });
    await expect(model.recognize(testSpeechFrame(500, 16_000))).rejects.toBeInstanceOf(
      APITimeoutError,
    );
    expect(openai.requests).toHaveLength(2);
  });

  it('fails for good on a wrong key, naming OPENAI_API_KEY', async () => {
    const model = new STT({ apiKey: 'sk-wrong-0000', baseURL: openai.url, connectOptions });
    const error = await model.recognize(testSpeechFrame(500, 16_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as Error).message).toMatch(/OPENAI_API_KEY/);
    expect(openai.requests).toHaveLength(1);
  });

  it('stops the upload when aborted', async () => {
    openai.scriptTranscription({ text: 'never', delayMs: 5000 });
    const abort = new AbortController();
    const pending = recognizer().recognize(testSpeechFrame(500, 16_000), { signal: abort.signal });
    const request = await openai.waitForRequest();
    abort.abort();
    await expect(pending).rejects.toThrow();
    expect(await openai.ended(request)).toBe('client_closed');
  });
});
