import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../src/replay-window.js';

/** `seconds` of 16-bit audio at 1 kHz whose samples count up, so cuts are visible. */
function pcm(firstSample: number, seconds: number): Uint8Array {
  const samples = Int16Array.from({ length: seconds * 1000 }, (_, i) => firstSample + i);
  return new Uint8Array(samples.buffer);
}

const samplesOf = (bytes: Uint8Array) => Array.from(new Int16Array(bytes.slice().buffer));

describe('ReplayWindow', () => {
  it('forgets settled audio, cutting a chunk on the sample where the final ended', () => {
    const window = new ReplayWindow(1000, 10);
    window.addAudio(0, pcm(0, 0.05));
    window.addAudio(0.05, pcm(50, 0.05));
    window.settle(0.06);
    expect(window.start).toBeCloseTo(0.06);
    const [first] = window.entries;
    expect(first!.kind === 'audio' && samplesOf(first.bytes)[0]).toBe(60);
    expect(window.seconds).toBeCloseTo(0.04);
  });

  it('keeps a Finalize asked while down in its place, and drops it once settled', () => {
    const window = new ReplayWindow(1000, 10);
    window.addAudio(0, pcm(0, 0.05));
    window.addFinalize(0.05);
    window.addAudio(0.05, pcm(50, 0.05));
    expect(window.entries.map((e) => e.kind)).toEqual(['audio', 'finalize', 'audio']);
    window.settle(0.05);
    expect(window.entries.map((e) => e.kind)).toEqual(['audio']);
  });

  it('is bounded: the oldest audio goes, and it says how much', () => {
    const window = new ReplayWindow(1000, 0.1);
    expect(window.addAudio(0, pcm(0, 0.05))).toBe(0);
    expect(window.addAudio(0.05, pcm(50, 0.05))).toBe(0);
    expect(window.addAudio(0.1, pcm(100, 0.05))).toBeCloseTo(0.05);
    expect(window.start).toBeCloseTo(0.05);
    expect(window.seconds).toBeCloseTo(0.1);
  });
});
