import { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import {
  ConsoleTextOutput,
  ConversationRecorder,
  RecordingAudioOutput,
  VirtualClock,
} from '../src/voice/io/index.js';

const RATE = 24_000;
/** 20 ms at 24 kHz: the fade of pause, resume and clearBuffer. */
const FADE = 480;

function mono(seconds: number, value: (i: number) => number): AudioFrame {
  const n = Math.round(RATE * seconds);
  return new AudioFrame(
    Int16Array.from({ length: n }, (_, i) => value(i)),
    RATE,
    1,
    n,
  );
}

/** An output on a virtual clock, recording to a recorder whose time zero is the clock's 0. */
function setup(options: { bufferMs?: number } = {}) {
  const clock = new VirtualClock();
  const recorder = new ConversationRecorder({ sampleRate: RATE });
  recorder.start(0);
  const output = new RecordingAudioOutput({ clock, recorder, ...options });
  const heard = () => recorder.toFrame();
  const right = (from: number, to: number) => {
    const frame = heard();
    const out = new Int16Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = frame.data[2 * i + 1] ?? 0;
    return out;
  };
  return { clock, recorder, output, right };
}

describe('RecordingAudioOutput', () => {
  it('plays as the clock moves: events at the sample times, playout result, no timer once idle', async () => {
    const { clock, output, right } = setup();
    const events: unknown[] = [];
    output.on('playback_started', (e) => events.push(['started', e]));
    output.on('playback_finished', (e) => events.push(['finished', e, clock.now()]));
    await clock.advance(100);
    const audio = mono(0.25, (i) => (i % 50) + 1);
    await output.captureFrame(audio);
    const id = output.flush();
    await clock.advance(100);
    expect(output.playedSeconds).toBeCloseTo(0.1, 6);
    await clock.advance(200);
    await expect(output.waitForPlayout()).resolves.toEqual({
      segmentId: id,
      playbackPosition: 0.25,
      interrupted: false,
    });
    expect(events).toEqual([
      ['started', { segmentId: id, at: 100 }],
      ['finished', { segmentId: id, playbackPosition: 0.25, interrupted: false }, 350],
    ]);
    expect(right(2400, 2400 + 6000)).toEqual(audio.data);
    expect(clock.pendingTimers).toBe(0);
    await output.close();
  });

  it('pause fades out, keeps the playhead, and resume plays on from that very sample', async () => {
    const { clock, output, right } = setup();
    const audio = mono(0.5, (i) => 1000 + (i % 1000));
    await output.captureFrame(audio);
    const id = output.flush();
    await clock.advance(100);
    output.pause();
    await clock.advance(200);
    expect(output.playedSeconds).toBeCloseTo(0.1, 6);
    // While paused nothing is scheduled: a paused output costs nothing.
    expect(clock.pendingTimers).toBe(0);
    output.resume();
    await clock.advance(600);
    await expect(output.waitForPlayout(id)).resolves.toEqual({
      segmentId: id,
      playbackPosition: 0.5,
      interrupted: false,
    });
    // Before the pause: the audio exactly. Then a 20 ms fade-out, then silence until 0.3 s.
    expect(right(0, 2400)).toEqual(audio.data.subarray(0, 2400));
    const fadeOut = right(2400, 2400 + FADE);
    expect(fadeOut[0]).toBeGreaterThan(0.9 * audio.data[2400]!);
    expect(fadeOut[FADE - 1]).toBeLessThan(0.01 * audio.data[2400 + FADE - 1]!);
    expect(right(2400 + FADE, 7200).every((s) => s === 0)).toBe(true);
    // Resumed at 0.3 s from sample 2400: a fade-in over it, then every later sample, none lost.
    const fadeIn = right(7200, 7200 + FADE);
    expect(fadeIn[0]).toBeLessThan(0.01 * audio.data[2400]!);
    expect(fadeIn[FADE - 1]).toBeGreaterThan(0.99 * audio.data[2400 + FADE - 1]!);
    expect(right(7200 + FADE, 7200 + 9600)).toEqual(audio.data.subarray(2400 + FADE));
    expect(right(7200 + 9600, 7200 + 9600 + 2400).every((s) => s === 0)).toBe(true);
    await output.close();
  });

  it('clearBuffer ramps the last 20 ms to zero, plays nothing after, and finishes the segment interrupted', async () => {
    const { clock, output, right } = setup({ bufferMs: 2000 });
    const finished: unknown[] = [];
    output.on('playback_finished', (e) => finished.push(e));
    await output.captureFrame(mono(1, () => 10_000));
    const id = output.flush();
    await output.captureFrame(mono(0.5, () => 10_000));
    const queued = output.flush();
    await clock.advance(200);
    output.clearBuffer();
    await expect(output.waitForPlayout(id)).resolves.toEqual({
      segmentId: id,
      playbackPosition: 0.2,
      interrupted: true,
    });
    await expect(output.waitForPlayout(queued)).resolves.toMatchObject({
      playbackPosition: 0,
      interrupted: true,
    });
    expect(finished).toHaveLength(2);
    await clock.advance(500);
    expect(right(0, 4800).every((s) => s === 10_000)).toBe(true);
    const fade = right(4800, 4800 + FADE);
    for (let i = 1; i < FADE; i++) expect(fade[i]).toBeLessThan(fade[i - 1]!);
    expect(fade[FADE - 1]).toBeLessThanOrEqual(1);
    expect(right(4800 + FADE, 24_000).every((s) => s === 0)).toBe(true);
    expect(output.bufferedSamples).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ramps the volume over 20 ms instead of jumping', async () => {
    const { clock, output, right } = setup();
    await output.captureFrame(mono(0.2, () => 10_000));
    output.flush();
    await clock.advance(50);
    output.setVolume(0.5);
    await clock.advance(200);
    const ramp = right(1200, 1200 + FADE);
    expect(ramp[0]).toBeGreaterThan(9900);
    expect(ramp[FADE - 1]).toBe(5000);
    expect(right(1200 + FADE, 4800).every((s) => s === 5000)).toBe(true);
  });

  it('holds a producer back while the buffer is full (bounded), and lets it go as audio plays', async () => {
    const { clock, output } = setup({ bufferMs: 100 });
    let accepted = false;
    const capture = output.captureFrame(mono(0.3, () => 1)).then(() => {
      accepted = true;
    });
    await clock.advance(150);
    expect(accepted).toBe(false);
    await clock.advance(60);
    await capture;
    expect(output.bufferedSamples).toBeLessThanOrEqual(2400);
    output.flush();
    await output.close();
  });

  it('waitForPlayout: the unflushed segment, an aborted wait, and after close', async () => {
    const { clock, output } = setup();
    await expect(output.waitForPlayout()).resolves.toMatchObject({ segmentId: '' });
    await output.captureFrame(mono(0.1, () => 1));
    const controller = new AbortController();
    const aborted = output.waitForPlayout('seg_1', controller.signal);
    controller.abort(new Error('reply cancelled'));
    await expect(aborted).rejects.toThrow('reply cancelled');
    const waiting = output.waitForPlayout('seg_1');
    await clock.advance(50);
    await output.close();
    await expect(waiting).resolves.toEqual({
      segmentId: 'seg_1',
      playbackPosition: 0.05,
      interrupted: true,
    });
    await expect(output.captureFrame(mono(0.01, () => 1))).rejects.toThrow(/closed/);
    await expect(output.waitForPlayout('nope')).rejects.toThrow(/no audio segment "nope"/);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resamples frames at another rate to its own', async () => {
    const { clock, output } = setup();
    await output.captureFrame(new AudioFrame(new Int16Array(1600).fill(1000), 16_000, 1, 1600));
    const id = output.flush();
    await clock.advance(200);
    const { playbackPosition } = await output.waitForPlayout(id);
    expect(playbackPosition).toBeGreaterThan(0.095);
    expect(playbackPosition).toBeLessThan(0.105);
  });
});

describe('ConsoleTextOutput', () => {
  it('prints a segment on one line as its words come', async () => {
    let printed = '';
    const text = new ConsoleTextOutput({ label: 'agent', write: (chunk) => (printed += chunk) });
    await text.captureText('Hello ');
    await text.captureText({ text: 'there.', start: 0.4, end: 0.7 });
    text.flush();
    text.flush();
    await text.captureText('Bye.');
    text.flush();
    expect(printed).toBe('agent: Hello there.\nagent: Bye.\n');
  });
});
