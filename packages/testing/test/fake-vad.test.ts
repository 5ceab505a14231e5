import { audio, type metrics, vad } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { FakeVAD, silentFrame, splitFrame, testSpeechFrame } from '../src/index.js';

async function collect(stream: vad.VADStream): Promise<vad.VADEvent[]> {
  const events: vad.VADEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('VADStream through FakeVAD', () => {
  it('emits one INFERENCE_DONE per window and START/END with the padded speech', async () => {
    const fake = new FakeVAD({ streams: [[{ startMs: 320, endMs: 960 }]], prefixPaddingMs: 64 });
    const stream = fake.stream();
    for (const frame of splitFrame(testSpeechFrame(1600, 16_000))) stream.pushFrame(frame);
    stream.endInput();
    const events = await collect(stream);

    const inferences = events.filter((e) => e.type === vad.VADEventType.INFERENCE_DONE);
    expect(inferences).toHaveLength(50);
    expect(inferences.map((e) => e.timestamp)).toEqual(
      inferences.map((_, i) => ((i + 1) * 32) / 1000),
    );
    const start = events.find((e) => e.type === vad.VADEventType.START_OF_SPEECH)!;
    const end = events.find((e) => e.type === vad.VADEventType.END_OF_SPEECH)!;
    expect(start.timestamp).toBeCloseTo(0.352);
    expect(end.timestamp).toBeCloseTo(0.96);
    expect(end.speechDuration).toBeCloseTo(0.64);
    const speech = audio.framesDuration(end.frames);
    expect(speech).toBeGreaterThanOrEqual(0.64 + 0.064);
    expect(speech).toBeLessThanOrEqual(0.64 + 0.064 + 0.02);
    expect(start.frames.length).toBeGreaterThan(0);
    expect(events.indexOf(start)).toBeLessThan(events.indexOf(end));
    expect(inferences.filter((e) => e.speaking)).toHaveLength(19);
    fake.assertDone();
  });

  it('reports inference time against audio time as VAD metrics', async () => {
    const fake = new FakeVAD({ streams: [[]], inferenceMs: 0.5 });
    const seen: metrics.VADMetrics[] = [];
    fake.on('metrics_collected', (m) => seen.push(m));
    const stream = fake.stream();
    for (const frame of splitFrame(silentFrame(2048, 16_000))) stream.pushFrame(frame);
    stream.endInput();
    const events = await collect(stream);
    await stream.close();
    expect(events.every((e) => e.type === 'inference_done' && !e.speaking)).toBe(true);
    expect(seen.reduce((n, m) => n + m.inferenceCount, 0)).toBe(64);
    expect(seen[0]!.realTimeFactor).toBeCloseTo(0.5 / 32);
  });

  it('closes an utterance still open when input ends', async () => {
    const fake = new FakeVAD({ streams: [[{ startMs: 100, endMs: 5000 }]] });
    const stream = fake.stream();
    for (const frame of splitFrame(testSpeechFrame(500, 16_000))) stream.pushFrame(frame);
    stream.endInput();
    const types = (await collect(stream)).map((e) => e.type).filter((t) => t !== 'inference_done');
    expect(types).toEqual(['start_of_speech', 'end_of_speech']);
  });

  it('stops promptly when closed mid-stream, and refuses frames afterwards', async () => {
    const fake = new FakeVAD({ streams: [[{ startMs: 0, endMs: 60_000 }]] });
    const stream = fake.stream();
    for (const frame of splitFrame(testSpeechFrame(1000, 16_000))) stream.pushFrame(frame);
    const first = await stream.next();
    expect(first.value?.type).toBe('start_of_speech');
    await stream.close();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(() => stream.pushFrame(silentFrame(10, 16_000))).toThrow(/after close/);
  });
});
