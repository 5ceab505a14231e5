import { AudioFrame } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { FrameHistory, SampleCopier } from '../src/frame-history.js';

describe('SampleCopier', () => {
  it('keeps each copy intact while the source is reused and blocks fill up', () => {
    const copier = new SampleCopier();
    const source = new Int16Array(960);
    const copies: Int16Array[] = [];
    // Past several blocks, with a copy longer than a block among them.
    for (let n = 0; n < 100; n++) {
      source.fill(n);
      copies.push(copier.copy(source, n === 50 ? source.length : 480));
    }
    copies.push(copier.copy(new Int16Array(40_000).fill(7), 40_000));
    copies.forEach((copy, n) => {
      expect(copy.length).toBe(n === 50 ? 960 : n === 100 ? 40_000 : 480);
      expect(copy.every((v) => v === (n === 100 ? 7 : n))).toBe(true);
    });
  });
});

describe('FrameHistory.between', () => {
  it('hands out frames with arrays of their own, not views into the copies', () => {
    const copier = new SampleCopier();
    const history = new FrameHistory();
    for (let k = 0; k < 5; k++) {
      const data = copier.copy(new Int16Array(160).fill(k), 160);
      history.push(new AudioFrame(data, 16_000, 1, 160), k * 0.01, (k + 1) * 0.01);
    }
    const frames = history.between(0.005, 0.05);
    expect(frames.map((f) => f.samplesPerChannel)).toEqual([80, 160, 160, 160, 160]);
    for (const frame of frames) {
      expect(frame.data.byteOffset).toBe(0);
      expect(frame.data.buffer.byteLength).toBe(frame.data.byteLength);
    }
    expect(frames.map((f) => f.data[0])).toEqual([0, 1, 2, 3, 4]);
  });
});
