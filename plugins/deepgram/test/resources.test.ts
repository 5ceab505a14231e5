import { stt } from '@agents/core';
import { DeepgramStandIn, scaledMs } from '@agents/testing';
import { describe, expect, it } from 'vitest';
import { STT } from '../src/index.js';
import { collect, feed, nextOfType, SPEECH, SPEECH_REGIONS, slice } from './helpers.js';

const KEY = 'dg-test';

/** Sockets and timers of this process, by kind (what a leak would add to). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

const withinBaseline = (now: Record<string, number>, baseline: Record<string, number>) =>
  Object.entries(now).every(([kind, count]) => count <= (baseline[kind] ?? 0));

/** Polls until no kind of handle outnumbers `baseline`; returns the last reading. */
async function settleTo(baseline: Record<string, number>): Promise<Record<string, number>> {
  const deadline = performance.now() + scaledMs(5000);
  let now = handles();
  while (!withinBaseline(now, baseline) && performance.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
    now = handles();
  }
  return now;
}

describe('deepgram.STT leaves nothing open', () => {
  it('after streams that end, are closed mid-way, drop and reconnect, and fail', async () => {
    const dg = await DeepgramStandIn.start({ apiKey: KEY });
    try {
      const model = new STT({
        apiKey: KEY,
        baseURL: dg.url,
        connectOptions: { retryIntervalMs: 5 },
      });
      const baseline = handles();

      // Ends by itself.
      const ended = model.stream();
      const events = collect(ended);
      await feed(ended, slice(SPEECH));
      ended.endInput();
      await events;

      // Closed mid-utterance.
      const closed = model.stream();
      await feed(closed, slice(SPEECH, 0, SPEECH_REGIONS[0]![0] + 1.2));
      await nextOfType(closed[Symbol.asyncIterator](), stt.SpeechEventType.INTERIM_TRANSCRIPT);
      await closed.close();

      // Dropped, reconnected, ended.
      dg.injectFault('drop', { afterAudioMs: 500 });
      const dropped = model.stream();
      const droppedEvents = collect(dropped);
      await feed(dropped, slice(SPEECH, 0, 1));
      await dg.waitUntil(() => dg.connections[3], 'the reconnection');
      dropped.endInput();
      await droppedEvents;

      // Refused.
      dg.injectFault('auth');
      const refused = model.stream();
      await collect(refused).catch(() => {});

      await model.close();
      await dg.waitUntil(
        () => (dg.openConnectionCount() === 0 ? true : undefined),
        'no open connection',
      );
      const after = await settleTo(baseline);
      expect(withinBaseline(after, baseline), JSON.stringify({ baseline, after })).toBe(true);
    } finally {
      await dg.close();
    }
  });
});
