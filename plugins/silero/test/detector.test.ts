import { describe, expect, it } from 'vitest';
import { SpeechDetector, type Transition } from '../src/detector.js';

const WINDOW = 0.032;

/** Feeds one probability per 32 ms window; returns the transitions with their window index. */
function run(detector: SpeechDetector, probabilities: number[]): [number, Transition][] {
  const seen: [number, Transition][] = [];
  probabilities.forEach((p, i) => {
    const transition = detector.update(p, i * WINDOW, (i + 1) * WINDOW);
    if (transition) seen.push([i, transition]);
  });
  return seen;
}

const options = {
  activationThreshold: 0.5,
  deactivationThreshold: 0.35,
  minSpeechDuration: 0.05,
  minSilenceDuration: 0.1,
};

describe('SpeechDetector', () => {
  it('starts after minSpeechDuration of speech, timed from the first speech window', () => {
    const detector = new SpeechDetector(options);
    expect(run(detector, [0, 0, 0.9, 0.9])).toEqual([[3, 'start']]);
    expect(detector.speechStart).toBeCloseTo(2 * WINDOW);
    expect(detector.speechDuration).toBeCloseTo(2 * WINDOW);
  });

  it('ignores speech shorter than minSpeechDuration', () => {
    const detector = new SpeechDetector(options);
    expect(run(detector, [0.9, 0.1, 0.9, 0.1, 0, 0])).toEqual([]);
    expect(detector.speaking).toBe(false);
  });

  it('ends after minSilenceDuration of silence; speech ends at its last window', () => {
    const detector = new SpeechDetector(options);
    const seen = run(detector, [0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1]);
    expect(seen).toEqual([
      [1, 'start'],
      [6, 'end'],
    ]);
    expect(detector.speechDuration).toBeCloseTo(3 * WINDOW);
    expect(detector.silenceDuration(7 * WINDOW)).toBeCloseTo(4 * WINDOW);
  });

  it('keeps a pause shorter than minSilenceDuration inside the utterance', () => {
    const detector = new SpeechDetector(options);
    expect(run(detector, [0.9, 0.9, 0.1, 0.1, 0.9, 0.9, 0, 0, 0, 0])).toEqual([
      [1, 'start'],
      [9, 'end'],
    ]);
    expect(detector.speechDuration).toBeCloseTo(6 * WINDOW);
  });

  it('treats a probability between the thresholds as more of the same (hysteresis)', () => {
    const detector = new SpeechDetector(options);
    // 0.4 continues speech once speaking, and does not start it.
    expect(run(detector, [0.4, 0.4, 0.9, 0.9, 0.4, 0.4, 0.4, 0.4])).toEqual([[3, 'start']]);
    expect(detector.speaking).toBe(true);
    expect(detector.silenceDuration(8 * WINDOW)).toBe(0);
    // Once silence began, 0.4 continues the silence until it is long enough.
    expect(run(detector, [0.1, 0.4, 0.4, 0.4])).toEqual([[3, 'end']]);
  });

  it('applies new thresholds from the next window', () => {
    const detector = new SpeechDetector(options);
    expect(run(detector, [0.6, 0.6])).toEqual([[1, 'start']]);
    detector.options = { ...options, minSilenceDuration: 10 };
    expect(run(detector, Array(50).fill(0))).toEqual([]);
    expect(detector.speaking).toBe(true);
  });

  it('ends an open utterance on finish(), and forgets unconfirmed speech', () => {
    const detector = new SpeechDetector(options);
    run(detector, [0.9, 0.9]);
    expect(detector.finish()).toBe('end');
    expect(detector.finish()).toBeUndefined();
    run(detector, [0.9]);
    expect(detector.earliestSpeech).toBeDefined();
    expect(detector.finish()).toBeUndefined();
    expect(detector.earliestSpeech).toBeUndefined();
  });
});
