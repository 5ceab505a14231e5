import { getEventListeners } from 'node:events';
import { audio, type metrics, tts } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { FakeTTS, ScriptError } from '../src/index.js';

const FRAME_SAMPLES_24K = (24_000 * tts.TTS_FRAME_MS) / 1000;

describe('TTS.synthesize through FakeTTS', () => {
  it('leaves no listener on the signal the caller passed once a request is done', async () => {
    const fake = new FakeTTS({ synthesize: Array.from({ length: 5 }, () => ({ audioMs: 100 })) });
    const signal = new AbortController().signal;
    for (let i = 0; i < 5; i++) await fake.synthesize('One.', { signal }).collect();
    // A stream adapter passes its own signal to one request per sentence.
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('yields 20 ms frames whatever the provider chunk size, at once', async () => {
    const fake = new FakeTTS({
      synthesize: [{ text: 'Hello there.', audioMs: 1010, chunkMs: 33 }],
    });
    const out: tts.SynthesizedAudio[] = [];
    for await (const chunk of fake.synthesize('Hello there.')) out.push(chunk);

    const sizes = out.map((a) => a.frame.samplesPerChannel);
    expect(sizes.slice(0, -1).every((n) => n === FRAME_SAMPLES_24K)).toBe(true);
    expect(sizes.at(-1)).toBe(240);
    expect(audio.framesDuration(out.map((a) => a.frame))).toBeCloseTo(1.01);
    expect(out[0]!.deltaText).toBe('Hello there.');
    expect(out.slice(1).every((a) => a.deltaText === '')).toBe(true);
    expect(new Set(out.map((a) => a.requestId)).size).toBe(1);
    fake.assertDone();
  });

  it('collects into one frame and reports metrics', async () => {
    const fake = new FakeTTS({ synthesize: [{ audioMs: 500 }] });
    const seen: metrics.TTSMetrics[] = [];
    fake.on('metrics_collected', (m) => m.type !== 'connection' && seen.push(m));
    const frame = await fake.synthesize('Short one.').collect();
    expect(frame.samplesPerChannel).toBe(12_000);
    expect(frame.sampleRate).toBe(24_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: 'tts',
      characters: 10,
      cancelled: false,
      streamed: false,
    });
    expect(seen[0]!.audioDurationMs).toBeCloseTo(500);
    expect(seen[0]!.ttfbMs).toBeGreaterThanOrEqual(0);
    expect(seen[0]!.ttfbMs).toBeLessThanOrEqual(seen[0]!.durationMs);
  });

  it('stops upstream work promptly when closed, and reports the request as cancelled', async () => {
    const fake = new FakeTTS({
      synthesize: [{ audioMs: 5000, chunkMs: 20, chunkDelayMs: 60_000 }],
    });
    const seen: metrics.TTSMetrics[] = [];
    fake.on('metrics_collected', (m) => m.type !== 'connection' && seen.push(m));
    const stream = fake.synthesize('A long answer that never ends.');
    const first = await stream.next();
    expect(first.done).toBe(false);
    await stream.close();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.cancelled).toBe(true);
  });

  it('stops when the caller aborts, and on break', async () => {
    const fake = new FakeTTS({
      synthesize: [
        { firstByteDelayMs: 60_000 },
        { audioMs: 1000, chunkDelayMs: 60_000, chunkMs: 40 },
      ],
    });
    const controller = new AbortController();
    const slow = fake.synthesize('Never spoken.', { signal: controller.signal });
    const reading = slow.collect();
    controller.abort();
    await expect(reading).rejects.toThrow(/produced no audio/);

    const other = fake.synthesize('Interrupted.');
    for await (const chunk of other) {
      expect(chunk.frame.samplesPerChannel).toBeGreaterThan(0);
      break;
    }
    expect(other.closed).toBe(true);
  });

  it('hands a provider error to the consumer', async () => {
    const fake = new FakeTTS({ synthesize: [{ error: new Error('quota exceeded') }] });
    await expect(fake.synthesize('x').collect()).rejects.toThrow('quota exceeded');
  });

  it('checks the text the code under test sends', async () => {
    const fake = new FakeTTS({ synthesize: [{ text: 'expected words' }] });
    await expect(fake.synthesize('other words').collect()).rejects.toThrow(ScriptError);
  });

  it('rejects a sample rate that is not a positive integer', () => {
    expect(() => new FakeTTS({ sampleRate: 0 })).toThrow(/sampleRate/);
  });
});

describe('SynthesizeStream through FakeTTS', () => {
  it('reports STARTED, AUDIO and FINISHED for each segment, in order', async () => {
    const fake = new FakeTTS({
      streams: [
        [
          { text: 'Hi there. ', audioMs: 200 },
          { text: 'Bye.', audioMs: 100 },
        ],
      ],
    });
    const seen: metrics.TTSMetrics[] = [];
    fake.on('metrics_collected', (m) => m.type !== 'connection' && seen.push(m));
    const stream = fake.stream();
    stream.pushText('Hi ');
    stream.pushText('there. ');
    stream.flush();
    stream.pushText('Bye.');
    stream.endInput();

    const events: tts.SynthesisEvent[] = [];
    for await (const event of stream) events.push(event);
    const summary = events.map((e) => (e.type === 'audio' ? 'a' : e.type[0]));
    expect(summary.join('')).toBe(`s${'a'.repeat(10)}fs${'a'.repeat(5)}f`);
    const segments = events.filter((e) => e.type === 'started').map((e) => e.segmentId);
    expect(new Set(segments).size).toBe(2);
    const audioEvents = events.filter((e) => e.type === 'audio');
    expect(audioEvents[0]!.audio.deltaText).toBe('Hi there. ');
    expect(seen.map((m) => [m.characters, m.cancelled, m.streamed])).toEqual([
      [10, false, true],
      [4, false, true],
    ]);
    expect(fake.spokenTexts).toEqual(['Hi there. ', 'Bye.']);
    fake.assertDone();
  });

  it('refuses text after endInput and non-string text', () => {
    const fake = new FakeTTS({ streams: [[]] });
    const stream = fake.stream();
    stream.endInput();
    expect(() => stream.pushText('late')).toThrow(/after endInput/);
    expect(() => stream.pushText(42 as unknown as string)).toThrow(/takes a string/);
  });

  it('says how to stream from a non-streaming TTS', () => {
    expect(() => new FakeTTS().stream()).toThrow(/new tts.StreamAdapter/);
  });
});
