import { describe, expect, it } from 'vitest';
import { ElevenLabsStandIn } from '../src/elevenlabs/index.js';
import { scaledMs } from '../src/time.js';
import {
  KEY,
  LIVEKIT_QUERY,
  LIVEKIT_VOICE,
  RawClient,
  samplesOf,
  standInPerTest,
} from './elevenlabs-client.js';

const env = standInPerTest();

/** About 3.3 s of audio at 65 ms per character. */
const LONG = 'This sentence is long enough to need many audio messages to say it. ';

function segment(client: RawClient, id: string, text = LONG): void {
  client.send({ text: ' ', voice_settings: {}, context_id: id });
  client.send({ text, context_id: id, flush: true });
  client.send({ context_id: id, close_context: true });
}

const audioMs = (client: RawClient) =>
  client.audioOf().reduce((sum, m) => sum + (samplesOf(m) / 22_050) * 1000, 0);

/** Polls stand-in state (not the clock) until `check` holds, with a deadline. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + scaledMs(10_000);
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ElevenLabsStandIn websocket faults', () => {
  it('auth: refuses the next connection with a 401, then accepts again', async () => {
    env.el.injectFault('auth');
    await expect(env.open()).rejects.toMatchObject({ status: 401 });
    const client = await env.open();
    segment(client, 'ok', 'Fine. ');
    await client.waitFor((m) => m.isFinal === true, 'isFinal');
  });

  it('drop: cuts the socket (1006) once afterAudioMs of audio went out', async () => {
    env.el.injectFault('drop', { afterAudioMs: 600 });
    const client = await env.open();
    segment(client, 'cut');
    const { code } = await client.closed;
    expect(code).toBe(1006);
    expect(audioMs(client)).toBeGreaterThanOrEqual(600);
    expect(audioMs(client)).toBeLessThan(LONG.length * 65);
    expect(client.finalsOf()).toEqual([]);
    const connection = env.el.connections[0]!;
    await connection.closed;
    expect(connection).toMatchObject({ faultStruck: true, closeCode: 1006 });
    // The fault is used up: the next connection works.
    const next = await env.open();
    segment(next, 'again', 'Back. ');
    await next.waitFor((m) => m.isFinal === true, 'isFinal');
  });

  it('stall: stops answering (no audio, no isFinal, no close) but keeps reading', async () => {
    env.el.injectFault('stall', { afterAudioMs: 300 });
    const stalled = await env.open();
    segment(stalled, 'stuck');
    const connection = await env.el.waitForConnection();
    await eventually(() => connection.faultStruck, 'the stall');
    const received = stalled.messages.length;
    expect(audioMs(stalled)).toBeGreaterThanOrEqual(300);
    // A healthy connection, served after the stalled one was asked for more, shows time passed.
    segment(stalled, 'more', 'Anyone there? ');
    await eventually(() => connection.messages.length === 6, 'the stalled socket reads on');
    const healthy = await env.open();
    segment(healthy, 'fine', 'Fine. ');
    await healthy.waitFor((m) => m.isFinal === true, 'isFinal on the healthy socket');
    expect(stalled.messages).toHaveLength(received);
    expect(stalled.finalsOf()).toEqual([]);
    expect(env.el.openConnectionCount()).toBe(2);
  });

  it('malformed: one non-JSON frame before the audio, then the segment as usual', async () => {
    env.el.injectFault('malformed');
    const client = await env.open();
    segment(client, 'm', 'Odd frame. ');
    await client.waitFor((m) => m.isFinal === true, 'isFinal');
    expect(client.garbage).toHaveLength(1);
    expect(() => JSON.parse(client.garbage[0]!)).toThrow();
    expect(client.spokenText('m')).toBe('Odd frame. ');
  });

  it('slow-first-byte: holds the first audio back by delayMs', async () => {
    env.el.injectFault('slow-first-byte', { delayMs: 300 });
    const client = await env.open();
    const started = performance.now();
    segment(client, 's', 'Late. ');
    await client.waitFor((m) => typeof m.audio === 'string', 'audio');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await client.waitFor((m) => m.isFinal === true, 'isFinal');
  });

  it('applies a fault to as many connections as asked', async () => {
    env.el.injectFault('auth', { times: 2 });
    await expect(env.open()).rejects.toMatchObject({ status: 401 });
    await expect(env.open()).rejects.toMatchObject({ status: 401 });
    await env.open();
  });
});

async function readAll(response: Response): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) bytes += chunk.length;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

describe('ElevenLabsStandIn HTTP faults', () => {
  function post(): Promise<Response> {
    return fetch(
      `${env.el.url}/v1/text-to-speech/${LIVEKIT_VOICE}/stream?output_format=pcm_16000`,
      {
        method: 'POST',
        headers: { 'xi-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ text: LONG }),
      },
    );
  }

  it('auth answers 401; drop cuts the body after afterAudioMs; malformed is not audio', async () => {
    env.el.injectFault('auth');
    expect((await post()).status).toBe(401);

    env.el.injectFault('drop', { afterAudioMs: 500 });
    const dropped = await readAll(await post());
    expect(dropped.error).toBeDefined();
    expect(dropped.bytes).toBe(500 * 32);

    env.el.injectFault('malformed');
    const malformed = await post();
    expect(malformed.status).toBe(200);
    expect(malformed.headers.get('content-type')).not.toMatch(/^audio\//);
    await malformed.text();
  });

  it('stall sends headers and some audio, then nothing until the client leaves', async () => {
    env.el.injectFault('stall', { afterAudioMs: 250 });
    const abort = new AbortController();
    const response = await fetch(
      `${env.el.url}/v1/text-to-speech/${LIVEKIT_VOICE}/stream?output_format=pcm_16000`,
      {
        method: 'POST',
        headers: { 'xi-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ text: LONG }),
        signal: abort.signal,
      },
    );
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let bytes = 0;
    while (bytes < 250 * 32) bytes += (await reader.read()).value!.length;
    expect(bytes).toBe(250 * 32);
    abort.abort();
    await expect(reader.read()).rejects.toThrow();
  });
});

describe('ElevenLabsStandIn latency', () => {
  it("'realistic' waits 100–350 ms before a generation's first audio, then paces chunks", async () => {
    await env.restart({ latency: 'realistic' });
    const client = await env.open();
    const started = performance.now();
    segment(client, 'r', 'Realistic pacing here. ');
    await client.waitFor((m) => typeof m.audio === 'string', 'audio');
    const firstAudio = performance.now() - started;
    expect(firstAudio).toBeGreaterThanOrEqual(95);
    await client.waitFor((m) => m.isFinal === true, 'isFinal');
    const chunks = client.audioOf('r').length;
    expect(chunks).toBeGreaterThan(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95 + (chunks - 1) * 75);
  });

  it('a partial profile overrides only what it names', async () => {
    await env.restart({ latency: { firstAudioMs: 200 } });
    const client = await env.open();
    const started = performance.now();
    segment(client, 'p', 'Hi. ');
    await client.waitFor((m) => typeof m.audio === 'string', 'audio');
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
  });
});

describe('ElevenLabsStandIn close', () => {
  it('leaves no socket, server or timer behind, even mid-generation with timers armed', async () => {
    const before = resources();
    const standIn = await ElevenLabsStandIn.start({ apiKey: KEY, latency: 'realistic' });
    const url = `${standIn.wsUrl}/v1/text-to-speech/${LIVEKIT_VOICE}/multi-stream-input?${LIVEKIT_QUERY}`;
    const client = await RawClient.connect(url, { 'xi-api-key': KEY });
    client.send({ text: ' ', voice_settings: {}, context_id: 'open' });
    segment(client, 'busy');
    const http = fetch(`${standIn.url}/v1/text-to-speech/v/stream?output_format=pcm_16000`, {
      method: 'POST',
      headers: { 'xi-api-key': KEY },
      body: JSON.stringify({ text: LONG }),
    }).then(readAll, (error: unknown) => ({ bytes: 0, error }));
    await client.waitFor((m) => typeof m.audio === 'string', 'audio');
    const waiting = standIn.waitForConnection(() => false);
    await standIn.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await client.closed;
    await http;
    await eventually(() => sameResources(before, resources()), 'resources back as before');
  });
});

function resources(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
}

function sameResources(a: string[], b: string[]): boolean {
  const count = (list: string[]) => {
    const counts: Record<string, number> = {};
    for (const r of list) counts[r] = (counts[r] ?? 0) + 1;
    return counts;
  };
  const ca = count(a);
  const cb = count(b);
  return Object.keys({ ...ca, ...cb }).every((k) => (cb[k] ?? 0) <= (ca[k] ?? 0));
}
