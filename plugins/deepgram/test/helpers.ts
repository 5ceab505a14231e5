import { readFileSync } from 'node:fs';
import { audio, type stt } from '@agents/core';
import { AudioFrame } from '@livekit/rtc-node';

const FIXTURES = new URL('../../silero/test/fixtures/', import.meta.url);

/** The Silero plugin's espeak recording: 16 kHz mono, three sentences, regions known to the sample. */
export const SPEECH = audio.decodeWav(readFileSync(new URL('speech-16k-mono.wav', FIXTURES)));
export const SPEECH_SECONDS = SPEECH.samplesPerChannel / SPEECH.sampleRate;
export const SPEECH_REGIONS = (
  JSON.parse(readFileSync(new URL('regions.json', FIXTURES), 'utf8')) as Record<
    string,
    { speech: [number, number][] }
  >
)['speech-16k-mono']!.speech;

/** `frame` from `fromS` to `toS` seconds, in 20 ms frames as a room delivers them. */
export function slice(frame: AudioFrame, fromS = 0, toS = Number.POSITIVE_INFINITY): AudioFrame[] {
  const per = frame.sampleRate / 50;
  const first = Math.round(fromS * frame.sampleRate);
  const last = Math.min(frame.samplesPerChannel, Math.round(toS * frame.sampleRate));
  const frames: AudioFrame[] = [];
  for (let at = first; at < last; at += per) {
    const end = Math.min(last, at + per);
    frames.push(new AudioFrame(frame.data.slice(at, end), frame.sampleRate, 1, end - at));
  }
  return frames;
}

/** Writes `frames` with backpressure (faster than real time, nothing dropped). */
export async function feed(stream: stt.SpeechStream, frames: AudioFrame[]): Promise<void> {
  for (const frame of frames) await stream.write(frame);
}

/** Every event until the stream ends; rejects with its error, with the events so far attached. */
export async function collect(stream: AsyncIterable<stt.SpeechEvent>): Promise<stt.SpeechEvent[]> {
  const events: stt.SpeechEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    throw Object.assign(error as object, { events });
  }
  return events;
}

export const ofType = (events: stt.SpeechEvent[], type: stt.SpeechEventType) =>
  events.filter((e) => e.type === type);

/** Resolves with the first event of `type`, reading (and keeping) the events before it. */
export async function nextOfType(
  iterator: AsyncIterator<stt.SpeechEvent>,
  type: stt.SpeechEventType,
  seen: stt.SpeechEvent[] = [],
): Promise<stt.SpeechEvent> {
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) throw new Error(`the stream ended before a ${type} event`);
    seen.push(value);
    if (value.type === type) return value;
  }
}
