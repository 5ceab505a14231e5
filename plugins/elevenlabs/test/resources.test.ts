import { describe, expect, it } from 'vitest';
import { readSegments, setup, until } from './helpers.js';

/** How many handles of each kind keep the process alive: sockets, servers, timers. */
function liveResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo())
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** The kinds of which more are alive now than at `baseline`. */
function leftOver(baseline: Map<string, number>): string[] {
  return [...liveResources()]
    .filter(([kind, count]) => count > (baseline.get(kind) ?? 0))
    .map(([kind, count]) => `${kind} x${count - (baseline.get(kind) ?? 0)}`);
}

describe('what a TTS leaves behind', () => {
  it('no sockets or timers once the TTS and the stand-in are closed', async () => {
    const baseline = liveResources();
    const env = await setup({}, { inactivityTimeout: 5 });
    const stream = env.model.stream();
    stream.pushText('One reply, ');
    stream.flush();
    stream.pushText('and another one waiting.');
    // Closed mid-segment, with its keepalive armed.
    for await (const event of stream) if (event.type === 'finished') break;
    await env.model.synthesize('And one over HTTP.').collect();
    await env.model.listVoices();

    await env.model.close();
    // Our side is closed when close() returns; the stand-in sees its socket close a moment later.
    await until(
      () => env.el.openConnectionCount() === 0,
      'the stand-in to see no connection',
      2000,
    );
    expect(env.el.connections.map((c) => c.closeCode)).toEqual([1000]);
    await env.el.close();
    // fetch's pooled HTTP connection goes once the stand-in has closed its end.
    await until(() => leftOver(baseline).length === 0, 'sockets and timers to be gone', 5000).catch(
      () => expect(leftOver(baseline)).toEqual([]),
    );
  });

  it('a closed TTS refuses new streams, naming itself', async () => {
    await using env = await setup();
    await env.model.close();
    const stream = env.model.stream();
    stream.pushText('Too late.');
    stream.endInput();
    await expect(readSegments(stream)).rejects.toThrow(/elevenlabs\.TTS was closed/);
  });
});
