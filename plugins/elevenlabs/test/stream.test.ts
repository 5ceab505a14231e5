import { APIConnectionError, APIStatusError } from '@agents/core';
import { scaledMs } from '@agents/testing';
import { describe, expect, it } from 'vitest';
import type { TTS } from '../src/index.js';
import {
  readSegments,
  type SpokenSegment,
  setup,
  syntheticSeconds,
  textByContext,
  until,
} from './helpers.js';

const REPLY = 'Hello there, how are you today? I hope the weather is kind to you.';
const SECOND = 'Shall we begin?';
const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** Word timings must lie inside the audio, in order, and end close to its end. */
function expectConsistent(segment: {
  seconds: number;
  words: { startTime: number; endTime: number }[];
}) {
  let last = 0;
  for (const word of segment.words) {
    expect(word.startTime).toBeGreaterThanOrEqual(last - 1e-9);
    expect(word.endTime).toBeGreaterThan(word.startTime);
    last = word.endTime;
  }
  expect(last).toBeLessThanOrEqual(segment.seconds + 0.001);
  // Only the trailing space's audio (65 ms) may follow the last word.
  expect(segment.seconds - last).toBeLessThan(0.1);
}

/** Speaks REPLY in one stream; checks it came out whole: every word, and audio of its length. */
async function speakReplyWhole(model: TTS): Promise<SpokenSegment> {
  const stream = model.stream();
  stream.pushText(REPLY);
  stream.endInput();
  const [segment] = await readSegments(stream);
  expect(segment!.words.map((w) => w.text)).toEqual(words(REPLY));
  expect(segment!.seconds).toBeCloseTo(syntheticSeconds(REPLY), 1);
  return segment!;
}

describe('TTS.stream() against the ElevenLabs stand-in', () => {
  it.each(['chunk', 'context'] as const)(
    'speaks text pushed one character at a time, with word timings (%s alignment times)',
    async (alignmentTimes) => {
      await using env = await setup({ alignmentTimes });
      const stream = env.model.stream();
      for (const char of REPLY) stream.pushText(char);
      stream.flush();
      stream.endInput();
      const [segment, ...rest] = await readSegments(stream);
      expect(rest).toEqual([]);
      expect(segment!.words.map((w) => w.text)).toEqual(words(REPLY));
      expect(segment!.text).toBe(REPLY);
      expect(segment!.seconds).toBeCloseTo(syntheticSeconds(REPLY), 1);
      expectConsistent(segment!);
      const connection = await env.el.waitForConnection();
      // Sent in whole words, never a word cut in two.
      const [sent] = [...textByContext(connection.messages).values()];
      expect(sent).toBe(REPLY);
      for (const message of connection.messages as { text?: string }[]) {
        if (message.text) expect(message.text).toMatch(/^\S*(\s|$)/);
      }
    },
  );

  it('speaks back-to-back segments and streams on one warm connection, a context each', async () => {
    await using env = await setup();
    const first = env.model.stream();
    first.pushText(REPLY);
    first.flush();
    first.pushText(SECOND);
    first.flush();
    first.endInput();
    const segments = await readSegments(first);
    expect(segments.map((s) => s.words.map((w) => w.text))).toEqual([words(REPLY), words(SECOND)]);
    const second = env.model.stream();
    second.pushText(SECOND);
    second.endInput();
    expect((await readSegments(second)).map((s) => s.text)).toEqual([SECOND]);

    expect(env.el.connections).toHaveLength(1);
    const [connection] = env.el.connections;
    expect(Object.fromEntries(connection!.query)).toMatchObject({
      model_id: 'eleven_flash_v2_5',
      output_format: 'pcm_24000',
      sync_alignment: 'true',
    });
    expect([...textByContext(connection!.messages).values()]).toEqual([REPLY, SECOND, SECOND]);
    const closed = (connection!.messages as { close_context?: boolean }[]).filter(
      (m) => m.close_context,
    );
    expect(closed).toHaveLength(3);
  });

  it('moves to a new connection when the voice or settings change, ending the old one', async () => {
    await using env = await setup();
    const speak = async (text: string) => {
      const stream = env.model.stream();
      stream.pushText(text);
      stream.endInput();
      return (await readSegments(stream)).map((s) => s.text);
    };
    expect(await speak(SECOND)).toEqual([SECOND]);
    env.model.updateOptions({ voiceSettings: { stability: 0.3 } });
    expect(await speak(SECOND)).toEqual([SECOND]);
    env.model.updateOptions({ voiceSettings: { stability: 0.3 } }); // unchanged: stays
    env.model.updateOptions({ voice: 'bIHbv24MWmeRgasZH58o', languageCode: 'en' });
    expect(await speak(SECOND)).toEqual([SECOND]);
    const [first, second, third] = env.el.connections;
    await first!.closed;
    expect(first!.closeCode).toBe(1000);
    expect((second!.messages[0] as Record<string, unknown>).voice_settings).toEqual({
      stability: 0.3,
    });
    expect(third!.voiceId).toBe('bIHbv24MWmeRgasZH58o');
    expect(third!.query.get('language_code')).toBe('en');
    expect(env.el.connections).toHaveLength(3);
  });

  it('closing a stream mid-segment closes its context and leaves the connection usable', async () => {
    await using env = await setup({ latency: { chunkIntervalMs: 50 } });
    const stream = env.model.stream();
    stream.pushText(REPLY);
    stream.flush();
    for await (const event of stream) if (event.type === 'audio') break;
    const connection = await env.el.waitForConnection();
    const [contextId] = [...textByContext(connection.messages).keys()];
    // Sent with the flush; the close must not come twice, nor anything else after it.
    const closes = () =>
      (connection.messages as Record<string, unknown>[]).filter(
        (m) => m.context_id === contextId && m.close_context,
      );
    expect(closes()).toHaveLength(1);

    const next = env.model.stream();
    next.pushText(SECOND);
    next.endInput();
    expect((await readSegments(next)).map((s) => s.text)).toEqual([SECOND]);
    expect(env.el.connections).toHaveLength(1);
    expect(closes()).toHaveLength(1);
  });

  it('closing a stream before its segment ends sends close_context', async () => {
    await using env = await setup();
    const stream = env.model.stream();
    stream.pushText('Thinking about it ');
    const connection = await env.el.waitForConnection();
    await until(() => textByContext(connection.messages).size === 1, 'the context to open');
    await stream.close();
    const [contextId] = [...textByContext(connection.messages).keys()];
    await until(
      () =>
        (connection.messages as Record<string, unknown>[]).some(
          (m) => m.context_id === contextId && m.close_context === true,
        ),
      'close_context',
    );
  });

  it('replays a segment that had no audio yet on a new connection after a drop', async () => {
    await using env = await setup();
    env.el.injectFault('drop', { afterAudioMs: 0 });
    await speakReplyWhole(env.model);
    expect(env.el.connections).toHaveLength(2);
    expect([...textByContext(env.el.connections[1]!.messages).values()]).toEqual([REPLY]);
  });

  it.each(['chunk', 'context'] as const)(
    'resumes a segment mid-reply after a drop, nothing repeated or lost (%s alignment times)',
    async (alignmentTimes) => {
      await using env = await setup({ alignmentTimes, latency: { chunkIntervalMs: 5 } });
      const metrics: unknown[] = [];
      env.model.on('metrics_collected', (m) => metrics.push(m));
      env.el.injectFault('drop', { afterAudioMs: 1000 });
      // Exactly the audio of the text once: the resumed part starts where the first stopped.
      const segment = await speakReplyWhole(env.model);
      expectConsistent(segment);
      const [before, after] = env.el.connections;
      const spokenBefore = before!.audioMsSent;
      expect(spokenBefore).toBeGreaterThanOrEqual(1000);
      const resumed = [...textByContext(after!.messages).values()][0]!;
      expect(REPLY.endsWith(resumed)).toBe(true);
      expect(resumed.length).toBeLessThan(REPLY.length);
      expect(metrics).toContainEqual(
        expect.objectContaining({ type: 'connection', event: 'lost' }),
      );
      expect(metrics).toContainEqual(
        expect.objectContaining({ type: 'connection', event: 'reconnected' }),
      );
    },
  );

  it('treats a service that stalls mid-reply as a drop, and resumes', async () => {
    await using env = await setup(
      { latency: { chunkIntervalMs: 5 } },
      { connectOptions: { retryIntervalMs: 20, timeoutMs: scaledMs(1000) } },
    );
    env.el.injectFault('stall', { afterAudioMs: 1000 });
    await speakReplyWhole(env.model);
    expect(env.el.connections).toHaveLength(2);
  });

  it('fails the stream with a retryable error once reconnects run out', async () => {
    await using env = await setup(
      {},
      { connectOptions: { maxRetry: 2, retryIntervalMs: 10, timeoutMs: scaledMs(5000) } },
    );
    env.el.injectFault('drop', { afterAudioMs: 0, times: 10 });
    const stream = env.model.stream();
    stream.pushText(REPLY);
    stream.endInput();
    const error = await readSegments(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIConnectionError).retryable).toBe(true);
    // The first connection and two retries; then the next stream starts afresh.
    expect(env.el.connections).toHaveLength(3);
    env.el.clearFaults();
    const next = env.model.stream();
    next.pushText(SECOND);
    next.endInput();
    expect((await readSegments(next)).map((s) => s.text)).toEqual([SECOND]);
  });

  it.each(['http-401', 'close-1008'] as const)(
    'fails with a non-retryable error naming ELEVEN_API_KEY on a wrong key (%s)',
    async (socketAuthFailure) => {
      await using env = await setup({ socketAuthFailure }, { apiKey: 'wrong' });
      const stream = env.model.stream();
      stream.pushText(REPLY);
      stream.endInput();
      const error = await readSegments(stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIStatusError);
      expect(error).toMatchObject({ status: 401, retryable: false });
      expect((error as Error).message).toMatch(/ELEVEN_API_KEY/);
      // Permanent: tried once.
      expect(env.el.connections.length + env.el.requests.length).toBe(1);
    },
  );

  it('keeps a context alive past the inactivity timeout while text is late', async () => {
    await using env = await setup({}, { inactivityTimeout: 1 });
    const stream = env.model.stream();
    stream.pushText('Let me think ');
    const connection = await env.el.waitForConnection();
    const keepalives = () =>
      (connection.messages as Record<string, unknown>[]).filter(
        (m) => m.text === '' && !m.flush && m.context_id,
      ).length;
    // Keepalives every third of the timeout: six of them span twice the timeout.
    await until(() => keepalives() >= 6, 'six keepalives');
    stream.pushText('about that.');
    stream.endInput();
    const [segment] = await readSegments(stream);
    expect(segment!.text).toBe('Let me think about that.');
    expect(env.el.connections).toHaveLength(1);
    expect(connection.closeCode).toBeUndefined();
  });

  it('lets an idle connection time out, then opens a new one for the next reply', async () => {
    await using env = await setup({}, { inactivityTimeout: 1 });
    const first = env.model.stream();
    first.pushText(SECOND);
    first.endInput();
    await readSegments(first);
    const [connection] = env.el.connections;
    await connection!.closed;
    expect(connection!.closeCode).toBe(1008);
    const second = env.model.stream();
    second.pushText(SECOND);
    second.endInput();
    expect((await readSegments(second)).map((s) => s.text)).toEqual([SECOND]);
    expect(env.el.connections).toHaveLength(2);
  });

  it('opens a second connection when one has as many contexts as the service allows', async () => {
    await using env = await setup();
    // Six streams waiting on their LLM at once: one more than a socket may hold.
    const streams = Array.from({ length: 6 }, (_, i) => {
      const stream = env.model.stream();
      stream.pushText(`Reply number ${i} `);
      return stream;
    });
    await until(
      () => env.el.connections.reduce((n, c) => n + textByContext(c.messages).size, 0) === 6,
      'six contexts',
    );
    for (const stream of streams) stream.endInput();
    const spoken = await Promise.all(streams.map((s) => readSegments(s)));
    expect(spoken.map(([segment]) => segment!.text)).toEqual(
      streams.map((_, i) => `Reply number ${i} `),
    );
    expect(env.el.connections.map((c) => textByContext(c.messages).size)).toEqual([5, 1]);
  });
});
