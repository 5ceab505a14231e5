import { APIStatusError, stt } from '@agents/core';
import { DeepgramStandIn, scaledMs } from '@agents/testing';
import { AudioFrame } from '@livekit/rtc-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STT } from '../src/index.js';
import {
  collect,
  feed,
  nextOfType,
  ofType,
  SPEECH,
  SPEECH_REGIONS,
  SPEECH_SECONDS,
  slice,
} from './helpers.js';

const { START_OF_SPEECH, INTERIM_TRANSCRIPT, FINAL_TRANSCRIPT, END_OF_SPEECH } =
  stt.SpeechEventType;
const KEY = 'dg-test';
const SCRIPT = ['Hello there.', 'How are you today?', 'Goodbye for now.'];
/** The stand-in decides on 20 ms windows; an edge may land a window or two late. */
const EDGE_S = 0.05;

let dg: DeepgramStandIn;
beforeEach(async () => {
  dg = await DeepgramStandIn.start({ apiKey: KEY });
});
afterEach(async () => {
  await dg.close();
});

function model(options: ConstructorParameters<typeof STT>[0] = {}) {
  return new STT({ apiKey: KEY, baseURL: dg.url, ...options });
}

/** Feeds the whole fixture and ends the input; resolves with every event. */
async function transcribeFixture(stream: stt.SpeechStream) {
  const events = collect(stream);
  await feed(stream, slice(SPEECH));
  stream.endInput();
  return events;
}

describe('deepgram.STT stream, against the stand-in', () => {
  it('streams utterances: start, interims, finals with word timings, end with the whole utterance', async () => {
    dg.scriptTranscripts(...SCRIPT);
    const events = await transcribeFixture(model().stream());

    const ends = ofType(events, END_OF_SPEECH);
    expect(ends.map((e) => e.alternatives[0]?.text)).toEqual(SCRIPT);
    expect(ofType(events, START_OF_SPEECH)).toHaveLength(3);
    expect(ofType(events, INTERIM_TRANSCRIPT).length).toBeGreaterThan(0);
    ends.forEach((end, i) => {
      const [start, stop] = SPEECH_REGIONS[i]!;
      const said = end.alternatives[0]!;
      expect(said.startTime).toBeGreaterThanOrEqual(start - EDGE_S);
      expect(said.endTime).toBeLessThanOrEqual(stop + EDGE_S);
      expect(said.words!.map((w) => w.text).join(' ')).toBe(SCRIPT[i]);
      for (const word of said.words!) {
        expect(word.endTime).toBeGreaterThan(word.startTime);
        expect(word.confidence).toBeGreaterThan(0);
      }
    });
    // Each START is closed by its END before the next START.
    const order = events
      .map((e) => e.type)
      .filter((t) => t === START_OF_SPEECH || t === END_OF_SPEECH);
    expect(order).toEqual([
      START_OF_SPEECH,
      END_OF_SPEECH,
      START_OF_SPEECH,
      END_OF_SPEECH,
      START_OF_SPEECH,
      END_OF_SPEECH,
    ]);

    // One connection for the stream, all the audio, and a clean end.
    expect(dg.connections).toHaveLength(1);
    const [connection] = dg.connections;
    expect(connection!.audioBytes).toBe(SPEECH.samplesPerChannel * 2);
    expect(connection!.controlMessages.at(-1)).toEqual({ type: 'CloseStream' });
    expect(connection!.closeCode).toBe(1000);
    expect(connection!.query.get('language')).toBe('en-US');
    expect(connection!.headers.authorization).toBe(`Token ${KEY}`);
  });

  it('converts stereo input to the configured rate, mono', async () => {
    const stereo = slice(SPEECH).map((frame) => {
      const data = new Int16Array(frame.samplesPerChannel * 2);
      for (let i = 0; i < frame.samplesPerChannel; i++)
        data.set([frame.data[i]!, frame.data[i]!], i * 2);
      return new AudioFrame(data, frame.sampleRate, 2, frame.samplesPerChannel);
    });
    const stream = model({ sampleRate: 24000 }).stream();
    const events = collect(stream);
    await feed(stream, stereo);
    stream.endInput();
    expect(ofType(await events, END_OF_SPEECH)).toHaveLength(3);
    expect(dg.connections[0]!.query.get('sample_rate')).toBe('24000');
    expect(dg.connections[0]!.audioBytes).toBe(Math.round(SPEECH_SECONDS * 24000) * 2);
  });

  it('flush() mid-utterance: Finalize, and the utterance ends with what was said so far', async () => {
    const stream = model().stream();
    const iterator = stream[Symbol.asyncIterator]();
    const cut = SPEECH_REGIONS[0]![0] + 1;
    await feed(stream, slice(SPEECH, 0, cut));
    stream.flush();
    const seen: stt.SpeechEvent[] = [];
    const end = await nextOfType(iterator, END_OF_SPEECH, seen);
    const final = ofType(seen, FINAL_TRANSCRIPT).at(-1)!;
    expect(final.alternatives[0]!.text).not.toBe('');
    expect(final.alternatives[0]!.endTime).toBeLessThanOrEqual(cut + EDGE_S);
    expect(end.alternatives[0]!.text).toBe(final.alternatives[0]!.text);
    expect(dg.connections[0]!.controlMessages).toContainEqual({ type: 'Finalize' });
    await stream.close();
  });

  it('close() mid-stream ends the stream at once and closes the connection', async () => {
    const stream = model().stream();
    const iterator = stream[Symbol.asyncIterator]();
    await feed(stream, slice(SPEECH, 0, SPEECH_REGIONS[0]![0] + 1.2));
    await nextOfType(iterator, INTERIM_TRANSCRIPT);
    await stream.close();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    await dg.connections[0]!.closed;
    expect(dg.openConnectionCount()).toBe(0);
  });

  it('a drop and reconnect loses no audio within the buffer: the utterances come out whole, at the right times', async () => {
    // Unscripted: the stand-in's words follow each region's length, so both runs must agree
    // word for word in timing, whichever results the drop cut off (a final in flight is
    // transcribed again from the replay).
    const clean = ofType(await transcribeFixture(model().stream()), END_OF_SPEECH);
    expect(clean).toHaveLength(3);

    // Mid-way through the second sentence.
    dg.injectFault('drop', { afterAudioMs: (SPEECH_REGIONS[1]![0] + 0.6) * 1000 });
    const connectionsBefore = dg.connections.length;
    const model2 = model({ connectOptions: { retryIntervalMs: 10 } });
    const metrics: string[] = [];
    model2.on('metrics_collected', (m) => m.type === 'connection' && metrics.push(m.event));
    const stream = model2.stream();
    const events = collect(stream);
    await feed(stream, slice(SPEECH));
    // Live audio keeps coming while the connection is back: the drop is mid-stream, not
    // mid-ending (that case has its own test below).
    await dg.waitUntil(() => dg.connections[connectionsBefore + 1], 'the reconnection');
    stream.endInput();
    const all = await events;
    const dropped = ofType(all, END_OF_SPEECH);

    expect(dg.connections.length - connectionsBefore).toBe(2);
    expect(metrics).toEqual(['lost', 'reconnected']);
    expect(ofType(all, START_OF_SPEECH)).toHaveLength(3);
    expect(dropped).toHaveLength(3);
    dropped.forEach((end, i) => {
      const a = end.alternatives[0]!;
      const b = clean[i]!.alternatives[0]!;
      expect(a.text).not.toBe('');
      expect(a.startTime).toBeCloseTo(b.startTime, 2);
      expect(a.endTime).toBeCloseTo(b.endTime, 2);
      expect(a.words!.map((w) => w.startTime)).toEqual(
        b.words!.map((w) => expect.closeTo(w.startTime, 2)),
      );
    });
  });

  it('a drop right after CloseStream: the end reconnects, and the last utterance comes out whole, once, at the right times', async () => {
    // Cut mid-way through the last sentence: its words are settled only by CloseStream.
    const cut = (SPEECH_REGIONS[2]![0] + SPEECH_REGIONS[2]![1]) / 2;
    const run = async (stream: stt.SpeechStream) => {
      const events = collect(stream);
      await feed(stream, slice(SPEECH, 0, cut));
      stream.endInput();
      return events;
    };
    const clean = await run(model().stream());
    const cleanEnds = ofType(clean, END_OF_SPEECH);
    expect(cleanEnds).toHaveLength(3);

    dg.injectFault('drop', { onCloseStream: true });
    const connectionsBefore = dg.connections.length;
    const ear = model({ connectOptions: { retryIntervalMs: 10 } });
    const metrics: string[] = [];
    ear.on('metrics_collected', (m) => m.type === 'connection' && metrics.push(m.event));
    const events = await run(ear.stream());

    const [cutOff, again] = dg.connections.slice(connectionsBefore);
    expect(dg.connections.length - connectionsBefore).toBe(2);
    expect(cutOff!.controlMessages.at(-1)).toEqual({ type: 'CloseStream' });
    expect(cutOff!.closeCode).toBe(1006);
    // The new connection got the unsettled audio again, then CloseStream, and closed cleanly.
    expect(again!.audioBytes).toBeGreaterThan(0);
    expect(again!.controlMessages.at(-1)).toEqual({ type: 'CloseStream' });
    expect(again!.closeCode).toBe(1000);
    expect(metrics).toEqual(['lost', 'reconnected']);

    const ends = ofType(events, END_OF_SPEECH);
    expect(ofType(events, START_OF_SPEECH)).toHaveLength(3);
    expect(ends).toHaveLength(3);
    ends.forEach((end, i) => {
      const a = end.alternatives[0]!;
      const b = cleanEnds[i]!.alternatives[0]!;
      expect(a.text).toBe(b.text);
      expect(a.startTime).toBeCloseTo(b.startTime, 2);
      expect(a.endTime).toBeCloseTo(b.endTime, 2);
      expect(a.words!.map((w) => w.startTime)).toEqual(
        b.words!.map((w) => expect.closeTo(w.startTime, 2)),
      );
    });
    // No word transcribed twice: the finals add up to the clean run's.
    const finalWords = (list: stt.SpeechEvent[]) =>
      ofType(list, FINAL_TRANSCRIPT).flatMap((e) => e.alternatives[0]!.words!.map((w) => w.text));
    expect(finalWords(events)).toEqual(finalWords(clean));
  });

  it('a refused key fails the stream at once, naming DEEPGRAM_API_KEY, without retries', async () => {
    const stream = model({
      apiKey: 'wrong-key',
      connectOptions: { maxRetry: 5, retryIntervalMs: 10 },
    }).stream();
    stream.pushFrame(slice(SPEECH, 0, 0.1)[0]!);
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIStatusError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect((error as Error).message).toMatch(/DEEPGRAM_API_KEY/);
    expect(dg.refusedUpgrades).toHaveLength(1);
    expect(dg.connections).toHaveLength(0);
  });

  it('keepalive holds an idle stream open past the idle timeout', async () => {
    await dg.close();
    // The idle timeout is twenty keepalive intervals: the stand-in runs in this process, and
    // on a busy machine an event-loop stall lets its timer fire before it reads a KeepAlive
    // sent in time, so a close margin would fail for the machine's sake, not the plugin's.
    dg = await DeepgramStandIn.start({ apiKey: KEY, idleTimeoutMs: scaledMs(2000) });
    const stream = model({ keepaliveIntervalMs: scaledMs(100) }).stream();
    const events = collect(stream);
    await feed(stream, slice(SPEECH, 0, 0.2));
    const connection = await dg.waitForConnection();
    // Twenty-five KeepAlives at 100 ms: the stream sat idle well past the 2 s timeout.
    await dg.waitUntil(
      () =>
        connection.controlMessages.filter((m) => (m as { type?: string }).type === 'KeepAlive')
          .length >= 25 || undefined,
      'twenty-five KeepAlive messages',
    );
    expect(connection.closeCode).toBeUndefined();
    dg.scriptTranscripts(SCRIPT[0]!);
    await feed(stream, slice(SPEECH, 0.2, SPEECH_REGIONS[0]![1] + 0.5));
    stream.endInput();
    expect(ofType(await events, END_OF_SPEECH).map((e) => e.alternatives[0]?.text)).toEqual([
      SCRIPT[0],
    ]);
    expect(dg.connections).toHaveLength(1);
  });

  it('a malformed message is logged and survived', async () => {
    dg.scriptTranscripts(...SCRIPT);
    dg.injectFault('malformed', { afterAudioMs: 200 });
    const events = await transcribeFixture(model().stream());
    expect(ofType(events, END_OF_SPEECH).map((e) => e.alternatives[0]?.text)).toEqual(SCRIPT);
    expect(dg.connections).toHaveLength(1);
  });

  it('updateOptions() applies at a new connection opened between utterances, losing no audio', async () => {
    const ear = model();
    const stream = ear.stream();
    const iterator = stream[Symbol.asyncIterator]();
    await feed(stream, slice(SPEECH, 0, SPEECH_REGIONS[1]![0] - 0.2));
    await nextOfType(iterator, END_OF_SPEECH);
    ear.updateOptions({ keyterms: ['Kenobi'], language: 'en-GB' });
    await feed(stream, slice(SPEECH, SPEECH_REGIONS[1]![0] - 0.2));
    stream.endInput();
    const rest = await collect({ [Symbol.asyncIterator]: () => iterator });
    expect(ofType(rest, END_OF_SPEECH)).toHaveLength(2);
    expect(dg.connections).toHaveLength(2);
    expect(dg.connections[1]!.query.getAll('keyterm')).toEqual(['Kenobi']);
    expect(dg.connections[0]!.controlMessages.at(-1)).toEqual({ type: 'CloseStream' });
    const sent = dg.connections.reduce((sum, c) => sum + c.audioBytes, 0);
    expect(sent).toBe(SPEECH.samplesPerChannel * 2);
  });
});
