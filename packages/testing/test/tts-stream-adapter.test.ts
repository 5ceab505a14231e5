import { type metrics, tts } from '@agents/core';
import { describe, expect, it } from 'vitest';
import { FakeTTS } from '../src/index.js';

const TEXT = 'The first sentence is here. The second one follows it. And the third ends the reply.';
const SENTENCES = [
  'The first sentence is here.',
  'The second one follows it.',
  'And the third ends the reply.',
];

async function events(stream: tts.SynthesizeStream): Promise<tts.SynthesisEvent[]> {
  const out: tts.SynthesisEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

describe('tts.StreamAdapter with FakeTTS', () => {
  it('speaks sentence by sentence, strictly in order, however slow each request is', async () => {
    const fake = new FakeTTS({
      synthesize: [
        { text: SENTENCES[0], firstByteDelayMs: 60, audioMs: 200 },
        { text: SENTENCES[1], firstByteDelayMs: 0, audioMs: 200 },
        { text: SENTENCES[2], firstByteDelayMs: 20, audioMs: 200 },
      ],
    });
    const adapter = new tts.StreamAdapter({ tts: fake });
    const stream = adapter.stream();
    for (const word of TEXT.split(/(?<= )/)) stream.pushText(word);
    stream.endInput();

    const out = await events(stream);
    expect(out[0]!.type).toBe('started');
    expect(out.at(-1)!.type).toBe('finished');
    expect(out.filter((e) => e.type === 'started')).toHaveLength(1);
    const spoken = out.flatMap((e) =>
      e.type === 'audio' && e.audio.deltaText ? [e.audio.deltaText] : [],
    );
    expect(spoken).toEqual(SENTENCES);
    expect(out.filter((e) => e.type === 'audio')).toHaveLength(30);
    fake.assertDone();
  });

  it('listens to the wrapped TTS only while a stream or synthesis is under way', async () => {
    const fake = new FakeTTS({
      synthesize: [
        { text: SENTENCES[0], audioMs: 40 },
        { text: 'Direct.', audioMs: 40 },
      ],
    });
    const adapter = new tts.StreamAdapter({ tts: fake });
    const forwarded: metrics.TTSMetrics[] = [];
    adapter.on('metrics_collected', (m) => m.type !== 'connection' && forwarded.push(m));
    expect(fake.listenerCount('metrics_collected')).toBe(0);
    const stream = adapter.stream();
    expect(fake.listenerCount('metrics_collected')).toBe(1);
    stream.pushText(SENTENCES[0]);
    stream.endInput();
    await events(stream);
    expect(forwarded).toHaveLength(1);
    expect(fake.listenerCount('metrics_collected')).toBe(0);

    await adapter.synthesize('Direct.').collect();
    expect(forwarded).toHaveLength(2);
    expect(fake.listenerCount('metrics_collected')).toBe(0);
    fake.assertDone();
  });

  it('requests up to maxConcurrent sentences ahead of playback', async () => {
    for (const [maxConcurrent, startedBeforeFirstAudio] of [
      [3, 3],
      [1, 1],
    ] as const) {
      const fake = new FakeTTS({
        synthesize: SENTENCES.map((text) => ({ text, audioMs: 100, firstByteDelayMs: 30 })),
      });
      const stream = new tts.StreamAdapter({ tts: fake, maxConcurrent }).stream();
      stream.pushText(TEXT);
      stream.endInput();
      let requestedAtFirstAudio = -1;
      for await (const event of stream) {
        if (event.type === 'audio' && requestedAtFirstAudio < 0) {
          requestedAtFirstAudio = fake.spokenTexts.length;
        }
      }
      expect(requestedAtFirstAudio, `maxConcurrent ${maxConcurrent}`).toBe(startedBeforeFirstAudio);
      expect(fake.spokenTexts).toEqual(SENTENCES);
    }
  });

  it('keeps segments apart: each flush ends one', async () => {
    const fake = new FakeTTS({
      synthesize: [{ text: 'Hello there, how are you?' }, { text: 'Goodbye for now, friend.' }],
    });
    const stream = new tts.StreamAdapter({ tts: fake }).stream();
    stream.pushText('Hello there, how are you?');
    stream.flush();
    stream.pushText('Goodbye for now, friend.');
    stream.endInput();
    const kinds = (await events(stream)).map((e) => e.type).filter((t) => t !== 'audio');
    expect(kinds).toEqual(['started', 'finished', 'started', 'finished']);
  });

  it('forwards the wrapped TTS metrics, once per sentence', async () => {
    const fake = new FakeTTS({ synthesize: SENTENCES.map((text) => ({ text })) });
    const adapter = new tts.StreamAdapter({ tts: fake });
    const seen: metrics.TTSMetrics[] = [];
    adapter.on('metrics_collected', (m) => m.type !== 'connection' && seen.push(m));
    const stream = adapter.stream();
    stream.pushText(TEXT);
    stream.endInput();
    await events(stream);
    await stream.close();
    expect(seen.map((m) => m.characters)).toEqual(SENTENCES.map((s) => s.length));
  });

  it('hands a failed sentence to the consumer and cancels the others', async () => {
    const fake = new FakeTTS({
      synthesize: [
        { text: SENTENCES[0], audioMs: 100 },
        { text: SENTENCES[1], error: new Error('voice not found'), firstByteDelayMs: 10 },
        { text: SENTENCES[2], firstByteDelayMs: 60_000 },
      ],
    });
    const stream = new tts.StreamAdapter({ tts: fake }).stream();
    stream.pushText(TEXT);
    stream.endInput();
    await expect(events(stream)).rejects.toThrow('voice not found');
  });

  it('stops promptly when closed mid-sentence', async () => {
    const fake = new FakeTTS({
      synthesize: SENTENCES.map((text) => ({
        text,
        audioMs: 2000,
        chunkMs: 40,
        chunkDelayMs: 60_000,
      })),
    });
    const stream = new tts.StreamAdapter({ tts: fake }).stream();
    stream.pushText(TEXT);
    const first = await stream.next();
    expect(first.value?.type).toBe('started');
    await stream.next();
    await stream.close();
    expect(stream.closed).toBe(true);
    expect(() => stream.pushText('more')).toThrow(/after close/);
  });

  it('validates maxConcurrent', () => {
    expect(() => new tts.StreamAdapter({ tts: new FakeTTS(), maxConcurrent: 0 })).toThrow(
      /maxConcurrent must be a positive integer/,
    );
  });
});
