import { describe, expect, it } from 'vitest';
import { resolveDetectionOptions, resolveSampleRate } from '../src/options.js';

describe('options', () => {
  it('has the documented defaults, with the deactivation threshold below activation', () => {
    expect(resolveDetectionOptions({})).toEqual({
      minSpeechDuration: 0.05,
      minSilenceDuration: 0.55,
      prefixPaddingDuration: 0.5,
      activationThreshold: 0.5,
      deactivationThreshold: 0.35,
      maxBufferedSpeech: 60,
    });
    expect(resolveDetectionOptions({ activationThreshold: 0.2 }).deactivationThreshold).toBe(0.1);
    expect(resolveDetectionOptions({ activationThreshold: 0.9 }).deactivationThreshold).toBe(0.75);
    expect(resolveDetectionOptions({ minSilenceDuration: undefined }).minSilenceDuration).toBe(
      0.55,
    );
  });

  it.each([
    [{ minSpeechDuration: -1 }, /minSpeechDuration must be a finite number of seconds >= 0/],
    [{ minSilenceDuration: Number.NaN }, /minSilenceDuration .* \(got NaN\)/],
    [{ prefixPaddingDuration: Number.POSITIVE_INFINITY }, /prefixPaddingDuration/],
    [{ activationThreshold: 1 }, /activationThreshold must be between 0 and 1 \(got 1\)/],
    [{ activationThreshold: 0 }, /activationThreshold/],
    [
      { deactivationThreshold: 0.6 },
      /deactivationThreshold must be .* at most activationThreshold/,
    ],
    [{ deactivationThreshold: 0 }, /deactivationThreshold/],
    [{ maxBufferedSpeech: 0.5 }, /maxBufferedSpeech \(0.5 s\) must exceed prefixPaddingDuration/],
    [{ minSilence: 1 }, /unknown option\(s\) minSilence/],
  ])('rejects %o', (options, message) => {
    expect(() => resolveDetectionOptions(options as never)).toThrow(message);
  });

  it('accepts only the rates the model runs at', () => {
    expect(resolveSampleRate({})).toBe(16000);
    expect(resolveSampleRate({ sampleRate: 8000 })).toBe(8000);
    expect(() => resolveSampleRate({ sampleRate: 48000 as never })).toThrow(
      /sampleRate must be 16000 or 8000, .* \(got 48000\)/,
    );
  });
});
