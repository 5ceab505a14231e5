import { type metrics, stt } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { FakeSTT, FakeVAD, ScriptError, splitFrame, testSpeechFrame } from '../src/index.js';

const { SpeechEventType } = stt;

async function collect(stream: AsyncIterable<stt.SpeechEvent>): Promise<stt.SpeechEvent[]> {
  const events: stt.SpeechEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('STT.recognize through FakeSTT', () => {
  it('returns the scripted transcript and reports metrics', async () => {
    const fake = new FakeSTT({ recognize: [{ text: 'hello there', confidence: 0.9 }] });
    const seen: metrics.STTMetrics[] = [];
    fake.on('metrics_collected', (m) => m.type !== 'connection' && seen.push(m));
    const frames = splitFrame(testSpeechFrame(500, 48_000));

    const event = await fake.recognize(frames, { language: 'en-GB' });

    expect(event.type).toBe(SpeechEventType.FINAL_TRANSCRIPT);
    expect(event.alternatives[0]).toMatchObject({ text: 'hello there', language: 'en-GB' });
    expect(event.alternatives[0]!.endTime).toBeCloseTo(0.5);
    expect(fake.recognizeCalls[0]!.frame.samplesPerChannel).toBe(24_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'stt', label: 'fake.STT', streamed: false });
    expect(seen[0]!.audioDurationMs).toBeCloseTo(500);
    fake.assertDone();
  });

  it('refuses calls beyond the script and reports unused steps', async () => {
    const fake = new FakeSTT({ recognize: [{ text: 'a' }, { text: 'b' }] });
    await fake.recognize(testSpeechFrame(100, 16_000));
    expect(() => fake.assertDone()).toThrow(/1 scripted step was never used/);
    await fake.recognize(testSpeechFrame(100, 16_000));
    await expect(fake.recognize(testSpeechFrame(100, 16_000))).rejects.toThrow(ScriptError);
  });

  it('rejects an empty buffer and an aborted signal before calling the provider', async () => {
    const fake = new FakeSTT();
    await expect(fake.recognize([])).rejects.toThrow(/no frames|empty/);
    const aborted = AbortSignal.abort(new Error('gone'));
    await expect(fake.recognize(testSpeechFrame(10, 16_000), { signal: aborted })).rejects.toThrow(
      'gone',
    );
    expect(fake.recognizeCalls).toEqual([]);
  });

  it('stops a slow recognize when aborted', async () => {
    const fake = new FakeSTT({ recognize: [{ text: 'late', delayMs: 60_000 }] });
    const controller = new AbortController();
    const pending = fake.recognize(testSpeechFrame(100, 16_000), { signal: controller.signal });
    controller.abort(new Error('user hung up'));
    await expect(pending).rejects.toThrow('user hung up');
  });

  it('says how to stream from a non-streaming STT', () => {
    expect(() => new FakeSTT().stream()).toThrow(/new stt.StreamAdapter\(\{ stt, vad \}\)/);
  });
});

describe('SpeechStream through FakeSTT', () => {
  it('releases events in audio time, in order, and reports latency to final', async () => {
    const fake = new FakeSTT({
      interimResults: true,
      streams: [
        [
          { atAudioMs: 100, type: SpeechEventType.START_OF_SPEECH },
          { atAudioMs: 300, type: SpeechEventType.INTERIM_TRANSCRIPT, text: 'hel' },
          { atAudioMs: 600, type: SpeechEventType.FINAL_TRANSCRIPT, text: 'hello' },
          { atAudioMs: 700, type: SpeechEventType.FINAL_TRANSCRIPT, text: 'world' },
          { atAudioMs: 800, type: SpeechEventType.END_OF_SPEECH },
        ],
      ],
    });
    const seen: metrics.STTMetrics[] = [];
    fake.on('metrics_collected', (m) => m.type !== 'connection' && seen.push(m));
    const stream = fake.stream();
    for (const frame of splitFrame(testSpeechFrame(1000, 48_000))) stream.pushFrame(frame);
    stream.endInput();

    const events = await collect(stream);
    expect(events.map((e) => e.type)).toEqual([
      'start_of_speech',
      'interim_transcript',
      'final_transcript',
      'final_transcript',
      'end_of_speech',
    ]);
    expect(events[4]!.alternatives[0]!.text).toBe('hello world');
    expect(seen.filter((m) => m.latencyToFinalMs !== undefined)).toHaveLength(2);
    expect(seen.every((m) => m.streamed)).toBe(true);
    await stream.close();
    const audioMs = seen.reduce((sum, m) => sum + m.audioDurationMs, 0);
    expect(audioMs).toBeCloseTo(1000);
    fake.assertDone();
  });

  it('stops promptly when closed mid-stream, and break closes it', async () => {
    const fake = new FakeSTT({
      streams: [
        [
          { atAudioMs: 10, type: SpeechEventType.START_OF_SPEECH },
          { atAudioMs: 20, type: SpeechEventType.FINAL_TRANSCRIPT, text: 'x', delayMs: 60_000 },
        ],
        [
          { atAudioMs: 10, type: SpeechEventType.START_OF_SPEECH },
          { atAudioMs: 20, type: SpeechEventType.FINAL_TRANSCRIPT, text: 'y' },
        ],
      ],
    });
    const slow = fake.stream();
    for (const frame of splitFrame(testSpeechFrame(100, 16_000))) slow.pushFrame(frame);
    const first = await slow.next();
    expect(first.value?.type).toBe('start_of_speech');
    await slow.close();
    expect(await slow.next()).toEqual({ value: undefined, done: true });
    expect(() => slow.pushFrame(testSpeechFrame(10, 16_000))).toThrow(/after close/);

    const other = fake.stream();
    for (const frame of splitFrame(testSpeechFrame(100, 16_000))) other.pushFrame(frame);
    for await (const event of other) {
      if (event.type === 'start_of_speech') break;
    }
    expect(other.closed).toBe(true);
  });
});

describe('stt.StreamAdapter with FakeVAD', () => {
  function utterances() {
    return splitFrame(testSpeechFrame(2000, 16_000));
  }

  it('gives one FINAL per utterance, then END_OF_SPEECH, with the utterance audio', async () => {
    const fakeSTT = new FakeSTT({ recognize: [{ text: 'first' }, { text: 'second' }] });
    const fakeVAD = new FakeVAD({
      streams: [
        [
          { startMs: 200, endMs: 700 },
          { startMs: 1000, endMs: 1500 },
        ],
      ],
      prefixPaddingMs: 96,
    });
    const adapter = new stt.StreamAdapter({ stt: fakeSTT, vad: fakeVAD });
    expect(adapter.capabilities).toEqual({ streaming: true, interimResults: false });
    const stream = adapter.stream();
    for (const frame of utterances()) stream.pushFrame(frame);
    stream.endInput();

    const events = await collect(stream);
    expect(events.map((e) => [e.type, e.alternatives[0]?.text])).toEqual([
      ['start_of_speech', undefined],
      ['final_transcript', 'first'],
      ['end_of_speech', 'first'],
      ['start_of_speech', undefined],
      ['final_transcript', 'second'],
      ['end_of_speech', 'second'],
    ]);
    const firstAudioMs = (fakeSTT.recognizeCalls[0]!.frame.samplesPerChannel / 16_000) * 1000;
    expect(firstAudioMs).toBeGreaterThanOrEqual(500 + 96);
    expect(firstAudioMs).toBeLessThan(500 + 96 + 3 * 32 + 10);
    fakeSTT.assertDone();
    fakeVAD.assertDone();
  });

  it('reports a failed recognize as an error event and goes on', async () => {
    const fakeSTT = new FakeSTT({
      recognize: [{ error: new Error('provider down') }, { text: 'still here' }],
    });
    const fakeVAD = new FakeVAD({
      streams: [
        [
          { startMs: 100, endMs: 400 },
          { startMs: 800, endMs: 1200 },
        ],
      ],
    });
    const adapter = new stt.StreamAdapter({ stt: fakeSTT, vad: fakeVAD });
    const errors: Array<{ error: Error; recoverable: boolean }> = [];
    adapter.on('error', (e) => errors.push(e));
    const stream = adapter.stream();
    for (const frame of utterances()) stream.pushFrame(frame);
    stream.endInput();

    const events = await collect(stream);
    expect(events.map((e) => [e.type, e.alternatives[0]?.text])).toEqual([
      ['start_of_speech', undefined],
      ['end_of_speech', undefined],
      ['start_of_speech', undefined],
      ['final_transcript', 'still here'],
      ['end_of_speech', 'still here'],
    ]);
    expect(errors).toEqual([{ error: new Error('provider down'), recoverable: true }]);
  });

  it('forwards the wrapped STT metrics once per utterance', async () => {
    const fakeSTT = new FakeSTT({ recognize: [{ text: 'one' }] });
    const fakeVAD = new FakeVAD({ streams: [[{ startMs: 100, endMs: 500 }]] });
    const adapter = new stt.StreamAdapter({ stt: fakeSTT, vad: fakeVAD });
    const seen: metrics.STTMetrics[] = [];
    adapter.on('metrics_collected', (m) => m.type !== 'connection' && seen.push(m));
    const stream = adapter.stream();
    for (const frame of utterances()) stream.pushFrame(frame);
    stream.endInput();
    await collect(stream);
    await stream.close();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.label).toBe('fake.STT');
  });
});
