import { scaledMs } from '@agents/testing';
import { describe, expect, it } from 'vitest';
import { readSegments, setup, textByContext, until } from './helpers.js';

const REPLY = 'Hello there, how are you today? I hope the weather is kind to you.';

describe('closing the TTS against the ElevenLabs stand-in', () => {
  it('a drop after close_socket does not reconnect: nothing is owed, nothing is spoken again', async () => {
    // Audio keeps coming after close_socket (the service finishes the contexts); the drop
    // strikes a few chunks later, while the socket is ending.
    await using env = await setup({ latency: { chunkIntervalMs: scaledMs(100) } });
    const metrics: string[] = [];
    env.model.on('metrics_collected', (m) => m.type === 'connection' && metrics.push(m.event));
    env.el.injectFault('drop', { afterAudioMs: 1500 });
    const stream = env.model.stream();
    stream.pushText(REPLY);
    stream.endInput();
    const reading = readSegments(stream).catch((error: unknown) => error);
    const first = await env.el.waitForConnection();
    await until(() => first.audioMsSent > 0, 'the first audio');
    await env.model.close();

    expect(first.messages).toContainEqual({ close_socket: true });
    await first.closed;
    expect(first.faultStruck).toBe(true);
    expect(first.closeCode).toBe(1006);
    // The stream was failed by the close; no connection was opened to say goodbye again.
    expect(await reading).toBeInstanceOf(Error);
    expect(env.el.connections).toHaveLength(1);
    expect(metrics).toEqual([]);
    for (const connection of env.el.connections.slice(1)) {
      expect([...textByContext(connection.messages).values()]).toEqual([]);
    }
  });
});
