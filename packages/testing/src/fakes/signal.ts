import { AudioFrame } from '@livekit/rtc-node';

/**
 * A deterministic, speech-like test signal: a 220 Hz tone with a slow
 * amplitude wobble, `durationMs` long. Used by fakes and stand-ins wherever
 * "some speech" is needed; it is the same for the same arguments.
 */
export function testSpeechPcm(durationMs: number, sampleRate: number, numChannels = 1): Int16Array {
  const samples = Math.round((sampleRate * durationMs) / 1000);
  const data = new Int16Array(samples * numChannels);
  for (let i = 0; i < samples; i++) {
    const t = i / sampleRate;
    const envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t);
    const value = Math.round(8000 * envelope * Math.sin(2 * Math.PI * 220 * t));
    for (let c = 0; c < numChannels; c++) data[i * numChannels + c] = value;
  }
  return data;
}

/** `testSpeechPcm` as one AudioFrame. */
export function testSpeechFrame(
  durationMs: number,
  sampleRate: number,
  numChannels = 1,
): AudioFrame {
  const data = testSpeechPcm(durationMs, sampleRate, numChannels);
  return new AudioFrame(data, sampleRate, numChannels, data.length / numChannels);
}

/** Splits a frame into frames of `frameMs` (the last may be shorter), as a microphone would send it. */
export function splitFrame(frame: AudioFrame, frameMs = 10): AudioFrame[] {
  const perFrame = Math.round((frame.sampleRate * frameMs) / 1000);
  const frames: AudioFrame[] = [];
  for (let start = 0; start < frame.samplesPerChannel; start += perFrame) {
    const count = Math.min(perFrame, frame.samplesPerChannel - start);
    const data = frame.data.slice(start * frame.channels, (start + count) * frame.channels);
    frames.push(new AudioFrame(data, frame.sampleRate, frame.channels, count));
  }
  return frames;
}

/** Silence of `durationMs`. */
export function silentFrame(durationMs: number, sampleRate: number, numChannels = 1): AudioFrame {
  const samples = Math.round((sampleRate * durationMs) / 1000);
  return new AudioFrame(new Int16Array(samples * numChannels), sampleRate, numChannels, samples);
}
