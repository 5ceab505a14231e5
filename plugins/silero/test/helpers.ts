import { readFileSync } from 'node:fs';
import { audio, vad } from '@agents/core';
import type { AudioFrame } from '@livekit/rtc-node';

const fixtures = new URL('./fixtures/', import.meta.url);

export const FIXTURES = ['speech-16k-mono', 'speech-24k-mono', 'speech-48k-stereo'] as const;
export const NOISY_FIXTURE = 'speech-16k-noisy';

/** Speech regions, [start, end] in seconds, as generate.sh built them. */
export const regions = JSON.parse(
  readFileSync(new URL('regions.json', fixtures), 'utf8'),
) as Record<string, { sampleRate: number; speech: [number, number][] }>;

export function readFixture(name: string): AudioFrame {
  return audio.decodeWav(readFileSync(new URL(`${name}.wav`, fixtures)));
}

/** Cuts a frame into frames of `ms` milliseconds (the last one may be shorter). */
export function framesOf(frame: AudioFrame, ms = 10): AudioFrame[] {
  const size = Math.max(1, Math.round((frame.sampleRate * ms) / 1000));
  const frames: AudioFrame[] = [];
  for (let at = 0; at < frame.samplesPerChannel; at += size) {
    frames.push(sliceFrame(frame, at, Math.min(at + size, frame.samplesPerChannel)));
  }
  return frames;
}

export function sliceFrame(frame: AudioFrame, from: number, to: number): AudioFrame {
  const { channels } = frame;
  const data = frame.data.slice(from * channels, to * channels);
  return new (frame.constructor as typeof AudioFrame)(data, frame.sampleRate, channels, to - from);
}

/** How far pushing may run ahead of the events read: well below the 1000-frame input buffer. */
const MAX_AHEAD_SECONDS = 0.5;

/**
 * Pushes `frames` and reads the events as they come, never more than half a second of audio
 * ahead of them (pushing everything at once would overflow the stream's input and drop
 * frames). Ends the input when the frames run out, reads the rest, and returns every event
 * unless `onEvent` takes them instead.
 */
export async function detect(
  stream: vad.VADStream,
  frames: Iterable<AudioFrame>,
  onEvent?: (event: vad.VADEvent) => void,
): Promise<vad.VADEvent[]> {
  const events: vad.VADEvent[] = [];
  const take = onEvent ?? ((event: vad.VADEvent) => events.push(event));
  let pushed = 0;
  let seen = 0;
  for (const frame of frames) {
    stream.pushFrame(frame);
    pushed += audio.frameDuration(frame);
    while (pushed - seen > MAX_AHEAD_SECONDS) {
      const next = await stream.next();
      if (next.done) return events;
      take(next.value);
      seen = next.value.timestamp;
    }
  }
  stream.endInput();
  for await (const event of stream) take(event);
  return events;
}

/** Speech as the events report it: [start, end] of every utterance, from END_OF_SPEECH. */
export function speechSegments(events: vad.VADEvent[]): [number, number][] {
  return events
    .filter((event) => event.type === vad.VADEventType.END_OF_SPEECH)
    .map((event) => {
      const end = event.timestamp - event.silenceDuration;
      return [end - event.speechDuration, end];
    });
}

export function ofType(events: vad.VADEvent[], type: vad.VADEventType): vad.VADEvent[] {
  return events.filter((event) => event.type === type);
}
