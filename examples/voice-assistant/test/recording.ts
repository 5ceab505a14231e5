// Reads a console recording (stereo: the user left, the agent right) and finds
// where each side is audible, by energy, so the tests can check who spoke when.
import { readFileSync } from 'node:fs';
import { audio } from '@agents/core';

/** A stretch of audible sound, in seconds on the recording's timeline. */
export interface Region {
  start: number;
  end: number;
}

export interface Recording {
  sampleRate: number;
  duration: number;
  user: Region[];
  agent: Region[];
}

/** Energy is measured over windows this long. */
const WINDOW_S = 0.02;
/** -40 dBFS: espeak's speech sits far above it, the recording's silence is digital zero. */
const AUDIBLE_RMS = 0.01;
/** Quiet shorter than this is a pause inside speech (between words, between sentences of one reply). */
const BRIDGE_S = 0.3;

export function readRecording(path: string): Recording {
  const frame = audio.decodeWav(readFileSync(path));
  if (frame.channels !== 2) {
    throw new Error(
      `${path}: expected a stereo recording (user left, agent right), got ${frame.channels} channel(s)`,
    );
  }
  const duration = frame.samplesPerChannel / frame.sampleRate;
  return {
    sampleRate: frame.sampleRate,
    duration,
    user: audibleRegions(frame.data, 0, frame.sampleRate),
    agent: audibleRegions(frame.data, 1, frame.sampleRate),
  };
}

function audibleRegions(interleaved: Int16Array, channel: number, sampleRate: number): Region[] {
  const window = Math.round(sampleRate * WINDOW_S);
  const samples = interleaved.length / 2;
  const regions: Region[] = [];
  for (let start = 0; start + window <= samples; start += window) {
    let sum = 0;
    for (let i = start; i < start + window; i++) {
      const v = (interleaved[i * 2 + channel] ?? 0) / 32768;
      sum += v * v;
    }
    if (Math.sqrt(sum / window) < AUDIBLE_RMS) continue;
    const at = start / sampleRate;
    const last = regions.at(-1);
    if (last && at - last.end <= BRIDGE_S) last.end = at + WINDOW_S;
    else regions.push({ start: at, end: at + WINDOW_S });
  }
  return regions;
}

/** Seconds during which both `a` and `b` are audible. */
export function overlap(a: readonly Region[], b: readonly Region[]): number {
  let total = 0;
  for (const x of a) {
    for (const y of b) total += Math.max(0, Math.min(x.end, y.end) - Math.max(x.start, y.start));
  }
  return total;
}

export const round = (regions: readonly Region[]) =>
  regions.map((r) => `${r.start.toFixed(2)}–${r.end.toFixed(2)}`).join(', ');
