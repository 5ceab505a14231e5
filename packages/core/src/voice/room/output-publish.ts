import type { AudioSource, LocalAudioTrack } from '@livekit/rtc-node';
import { newAudioFrame, rtc } from '../../audio/rtc.js';
import { withDeadline } from '../../utils/deadline.js';
import type { RoomAudioOutputOptions } from './output.js';
import type { RoomLocalParticipant, RoomLocalPublication, RoomSurface } from './surface.js';

/** What `RoomAudioOutput` plays through. */
export interface PublishedTrack {
  room: RoomSurface;
  participant: RoomLocalParticipant;
  source: AudioSource;
  track: LocalAudioTrack;
  publication: RoomLocalPublication;
  trackName: string;
  publishTimeoutMs: number;
  /** When the silence handed at publish runs out. */
  primedUntil: number;
}

/** Smallest queue of the source that keeps a frame ahead of its playout. */
const MIN_QUEUE_MS = 40;

/** Silence captured once the track is published. */
const PRIME_MS = 10;

/**
 * Creates the agent's source and track and publishes it as a microphone,
 * within `publishTimeoutMs`; on failure nothing is left published or open.
 */
export async function publishAgentTrack(
  room: RoomSurface,
  options: RoomAudioOutputOptions,
): Promise<PublishedTrack> {
  const participant = room.localParticipant;
  if (!room.isConnected || !participant) {
    throw new Error(
      "cannot publish the agent's audio: the room is not connected (connect it before creating the output)",
    );
  }
  const queueSizeMs = options.queueSizeMs ?? 200;
  if (queueSizeMs < MIN_QUEUE_MS) {
    throw new RangeError(
      `queueSizeMs is ${queueSizeMs}: give at least ${MIN_QUEUE_MS} ms, the source is topped up in 10 ms steps ahead of its playout`,
    );
  }
  const trackName = options.trackName ?? 'agent-voice';
  const timeoutMs = options.publishTimeoutMs ?? 10_000;
  // The output fills the source to `queueSizeMs` by its model of the playout.
  // The native queue gets twice that: when a busy machine delays the native
  // ticks, the source holds more than the model thinks, and a full native
  // queue would refuse or drop audio. (Take-backs may then repeat a few ms
  // around a fade, never lose any.)
  const { AudioSource, LocalAudioTrack, TrackPublishOptions, TrackSource } = rtc();
  const source = new AudioSource(options.sampleRate ?? 24_000, 1, queueSizeMs * 2);
  const track = LocalAudioTrack.createAudioTrack(trackName, source);
  const publishing = participant.publishTrack(
    track,
    new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
  );
  let publication: RoomLocalPublication;
  let primedUntil: number;
  try {
    publication = await withDeadline(
      publishing,
      timeoutMs,
      `publishing the agent's audio track "${trackName}" took longer than ${timeoutMs} ms: ` +
        'check the connection to the LiveKit server and that the agent may publish (canPublish in its token), or raise publishTimeoutMs',
    );
    // A first capture sets up the native path (slow once): 10 ms of silence, so the voice is not the one waiting.
    const silence = Math.round((PRIME_MS * source.sampleRate) / 1000);
    const primedAt = performance.now();
    await withDeadline(
      source.captureFrame(newAudioFrame(new Int16Array(silence), source.sampleRate, 1, silence)),
      timeoutMs,
      `the agent's audio source did not take a first frame within ${timeoutMs} ms`,
    );
    primedUntil = primedAt + PRIME_MS;
  } catch (error) {
    // Published after all, too late: take it back so nobody hears a track without an owner.
    publishing.then(
      (late) => {
        if (late.sid) participant.unpublishTrack(late.sid).catch(() => {});
      },
      () => {},
    );
    await track.close().catch(() => {});
    if (error instanceof Error && error.name === 'DeadlineError') throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `publishing the agent's audio track "${trackName}" failed: ${reason} ` +
        '(check that the agent may publish audio: canPublish and canPublishSources in its token)',
      { cause: error },
    );
  }
  return {
    room,
    participant,
    source,
    track,
    publication,
    trackName,
    publishTimeoutMs: timeoutMs,
    primedUntil,
  };
}
