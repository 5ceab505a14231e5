import { describe, expect, it } from 'vitest';
import { scaledMs } from '../src/time.js';
import { LIVEKIT_QUERY, standInPerTest } from './elevenlabs-client.js';

const env = standInPerTest();

/** A short inactivity timeout, in seconds (the stand-in takes fractions; the service whole seconds). */
const TIMEOUT_S = scaledMs(600) / 1000;

const withTimeout = LIVEKIT_QUERY.replace(
  'inactivity_timeout=180',
  `inactivity_timeout=${TIMEOUT_S}`,
);

describe('ElevenLabsStandIn limits and timeouts', () => {
  it('closes 1008 with input_timeout_exceeded when a context gets no text in time', async () => {
    const client = await env.open({ query: withTimeout });
    client.send({ text: ' ', voice_settings: {}, context_id: 'idle' });
    client.send({ text: 'Never flushed ', context_id: 'idle' });
    const { code, reason } = await client.closed;
    expect(code).toBe(1008);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason).toMatch(/^Have not received a new text input within the timeout of/);
    expect(client.messages).toEqual([
      expect.objectContaining({ error: 'input_timeout_exceeded', code: 1008, context_id: 'idle' }),
    ]);
  });

  it('closes an idle socket that never opened a context', async () => {
    const client = await env.open({ query: withTimeout });
    const { code } = await client.closed;
    expect(code).toBe(1008);
    expect(client.messages[0]).toMatchObject({ error: 'input_timeout_exceeded' });
  });

  it('keeps a context alive on keepalive messages ("" and " ") past the timeout', async () => {
    const client = await env.open({ query: withTimeout });
    client.send({ text: ' ', voice_settings: {}, context_id: 'kept' });
    client.send({ text: 'Slow thinker. ', context_id: 'kept' });
    const keepalives = ['', ' '];
    let sent = 0;
    // Three timeouts' worth of keepalives, one every fifth of a timeout.
    await new Promise<void>((resolve) => {
      const timer = setInterval(
        () => {
          client.send({ text: keepalives[sent % 2], context_id: 'kept' });
          sent += 1;
          if (sent === 15) {
            clearInterval(timer);
            resolve();
          }
        },
        (TIMEOUT_S * 1000) / 5,
      );
    });
    client.send({ text: '', context_id: 'kept', flush: true });
    client.send({ context_id: 'kept', close_context: true });
    await client.waitFor((m) => m.isFinal === true, 'isFinal after the keepalives');
    expect(client.spokenText('kept')).toBe('Slow thinker. ');
    expect(client.messages.filter((m) => m.error)).toEqual([]);
  });

  it('allows 5 contexts at once: a 6th gets max_active_conversations and a 1008 close', async () => {
    const client = await env.open();
    for (let i = 1; i <= 5; i++)
      client.send({ text: ' ', voice_settings: {}, context_id: `c${i}` });
    // A closed context frees its place once its isFinal is out.
    client.send({ context_id: 'c1', close_context: true });
    await client.waitFor((m) => m.isFinal === true && m.contextId === 'c1', 'isFinal c1');
    client.send({ text: ' ', voice_settings: {}, context_id: 'c6' });
    client.send({ text: 'Six is fine. ', context_id: 'c6', flush: true });
    await client.until(() => client.spokenText('c6') === 'Six is fine. ', 'audio of c6');
    client.send({ text: ' ', voice_settings: {}, context_id: 'c7' });
    const { code, reason } = await client.closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(
      /^Maximum simultaneous contexts per WebSocket connection exceeded \(5\)/,
    );
    expect(client.messages.at(-1)).toMatchObject({ error: 'max_active_conversations', code: 1008 });
  });

  it('honours a smaller maxContexts', async () => {
    await env.restart({ maxContexts: 1 });
    const client = await env.open();
    client.send({ text: ' ', context_id: 'one' });
    client.send({ text: ' ', context_id: 'two' });
    expect((await client.closed).code).toBe(1008);
  });

  it('close_socket ends every context (audio, then isFinal each) and closes 1000', async () => {
    const client = await env.open();
    client.send({ text: ' ', voice_settings: {}, context_id: 'p' });
    client.send({ text: ' ', voice_settings: {}, context_id: 'q' });
    client.send({ text: 'Pending words', context_id: 'p' });
    client.send({ text: 'Other words', context_id: 'q' });
    client.send({ close_socket: true });
    const { code } = await client.closed;
    expect(code).toBe(1000);
    expect(client.spokenText('p')).toBe('Pending words');
    expect(client.spokenText('q')).toBe('Other words');
    expect(
      client
        .finalsOf()
        .map((m) => m.contextId)
        .sort(),
    ).toEqual(['p', 'q']);
  });

  it('refuses voice_settings that change within a context', async () => {
    const client = await env.open();
    client.send({ text: ' ', voice_settings: { stability: 0.5 }, context_id: 'v' });
    client.send({ text: 'Same. ', voice_settings: { stability: 0.5 }, context_id: 'v' });
    client.send({ text: 'Changed. ', voice_settings: { stability: 0.9 }, context_id: 'v' });
    expect((await client.closed).code).toBe(1008);
    expect(client.messages.at(-1)).toMatchObject({ error: 'invalid_request', context_id: 'v' });
  });
});

describe('ElevenLabsStandIn stream-input (one context per socket)', () => {
  const query = 'model_id=eleven_flash_v2_5&output_format=pcm_16000&sync_alignment=true';

  it('speaks, sends isFinal without a context id, and closes 1000 after the empty text', async () => {
    const client = await env.open({ kind: 'stream-input', query });
    client.send({
      text: ' ',
      voice_settings: { stability: 0.5, similarity_boost: 0.8, speed: 1 },
      generation_config: { chunk_length_schedule: [120, 160, 250, 290] },
    });
    client.send({ text: 'Hello world. ', try_trigger_generation: true });
    client.send({ text: ' ' }); // keepalive
    client.send({ text: 'Flushed now. ', flush: true });
    await client.until(() => client.spokenText() === 'Hello world. Flushed now. ', 'flushed audio');
    client.send({ text: 'The rest ' });
    client.send({ text: '' });
    const { code } = await client.closed;
    expect(code).toBe(1000);
    expect(client.spokenText()).toBe('Hello world. Flushed now. The rest ');
    for (const message of client.audioOf()) expect(message).not.toHaveProperty('contextId');
    expect(client.messages.at(-1)).toEqual({ isFinal: true });
    const connection = await env.el.waitForConnection();
    expect(connection.kind).toBe('stream-input');
  });

  it('times out with input_timeout_exceeded and a 1008 close', async () => {
    const client = await env.open({
      kind: 'stream-input',
      query: `${query}&inactivity_timeout=${TIMEOUT_S}`,
    });
    client.send({ text: ' ' });
    client.send({ text: 'Waiting ' });
    expect((await client.closed).code).toBe(1008);
    expect(client.messages.at(-1)).toMatchObject({ error: 'input_timeout_exceeded' });
  });

  it('is served without the /v1 prefix too', async () => {
    const client = await env.open({ kind: 'stream-input', query, prefix: '', sampleRate: 16_000 });
    client.send({ text: ' ' });
    client.send({ text: 'Bare. ' });
    client.send({ text: '' });
    expect((await client.closed).code).toBe(1000);
    expect(client.spokenText()).toBe('Bare. ');
  });
});
