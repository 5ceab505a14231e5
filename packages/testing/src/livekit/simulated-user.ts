import { audio } from '@agents/core';
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  type Transcription,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { scaledMs } from '../time.js';
import type { LiveKitStandIn } from './stand-in.js';

export interface SimulatedUserOptions {
  /** Default `user-<random>`. */
  identity?: string;
  name?: string;
  /** Only this participant's audio is recorded (default: every remote audio track). */
  agentIdentity?: string;
  /** Rate of the microphone track and of what is heard (default 48000). */
  sampleRate?: number;
  /** Length of one RMS block of what is heard (default 10 ms). */
  blockMs?: number;
  /** Blocks kept; past it the oldest are dropped (default 60000: 10 minutes of 10 ms blocks). */
  maxBlocks?: number;
  /** Transcription segments kept; past it the oldest are dropped (default 2000). */
  maxTranscriptions?: number;
  /** Deadline of the join (default 30 s, scaled by TEST_TIME_SCALE). */
  joinTimeoutMs?: number;
}

/** One block of audio heard from a remote participant. */
export interface HeardBlock {
  identity: string;
  /** `performance.now()` when the frame holding the block arrived. */
  at: number;
  rms: number;
}

/** One state of a transcription segment, as published by the agent (for either side). */
export interface HeardTranscription {
  /** Whose words: the agent's identity for its replies, the user's for what it heard. */
  participantIdentity: string;
  trackSid: string;
  id: string;
  text: string;
  final: boolean;
  at: number;
}

export interface AudioWaitOptions {
  /** Loudness that counts as speech (default 300, of int16 full scale 32767). */
  minRms?: number;
  /** Only blocks heard at or after this `performance.now()` time count (default 0: any). */
  since?: number;
  /** Default 20 s, scaled. */
  timeoutMs?: number;
}

export interface SilenceWaitOptions {
  /** Blocks below it count as silence (default 300). */
  maxRms?: number;
  /** How long the silence must last (default 300 ms). */
  forMs?: number;
  since?: number;
  timeoutMs?: number;
}

/** What `speak` plays: a WAV file, or frames of 16-bit PCM. */
export type Speech = string | URL | AudioFrame | readonly AudioFrame[];

/** Part of a recording to speak, in seconds from its start (default: all of it). */
export interface SpeechPart {
  fromSec?: number;
  toSec?: number;
}

const FRAME_MS = 10;
const DEFAULT_WAIT_MS = 20_000;
const DEFAULT_SPEECH_RMS = 300;

interface Waiter {
  check(): boolean;
}

/**
 * A person in a room, for tests: joins the LiveKit stand-in with
 * `@livekit/rtc-node`, speaks WAV files into a microphone track in real time,
 * records what it hears from the agent (RMS per block, with arrival times) and
 * both sides' transcriptions as the agent publishes them. Every wait has a
 * deadline and its error says what was waited for and what was seen.
 */
export class SimulatedUser implements AsyncDisposable {
  readonly room: Room;
  readonly identity: string;
  readonly #options: Required<
    Pick<SimulatedUserOptions, 'sampleRate' | 'blockMs' | 'maxBlocks' | 'maxTranscriptions'>
  > &
    SimulatedUserOptions;
  readonly #blocks: HeardBlock[] = [];
  readonly #transcriptions: HeardTranscription[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #streams = new Set<ReadableStreamDefaultReader<AudioFrame>>();
  #source: AudioSource | undefined;
  #speaking: Promise<void> = Promise.resolve();
  #detachTranscriptions: (() => void) | undefined;
  #left = false;

  private constructor(room: Room, identity: string, options: SimulatedUserOptions) {
    this.room = room;
    this.identity = identity;
    this.#options = {
      sampleRate: 48_000,
      blockMs: FRAME_MS,
      maxBlocks: 60_000,
      maxTranscriptions: 2000,
      ...options,
    };
  }

  /** Joins `room` on the stand-in with a token signed by its key; audio from others is recorded from then on. */
  static async join(
    server: Pick<LiveKitStandIn, 'url' | 'apiKey' | 'apiSecret'>,
    room: string,
    options: SimulatedUserOptions = {},
  ): Promise<SimulatedUser> {
    const identity = options.identity ?? `user-${Math.random().toString(36).slice(2, 8)}`;
    const token = new AccessToken(server.apiKey, server.apiSecret, {
      identity,
      ...(options.name === undefined ? {} : { name: options.name }),
    });
    token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
    const rtc = new Room();
    const user = new SimulatedUser(rtc, identity, options);
    rtc.on(RoomEvent.TrackSubscribed, (track, _publication, participant) =>
      user.#record(track, participant),
    );
    const timeoutMs = options.joinTimeoutMs ?? scaledMs(30_000);
    const connecting = rtc.connect(server.url, await token.toJwt(), {
      autoSubscribe: true,
      dynacast: false,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        connecting,
        new Promise((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `${identity} did not join room ${room} at ${server.url} within ${timeoutMs} ms`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      connecting.catch(() => {});
      await rtc.disconnect().catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
    user.#detachTranscriptions = onTranscriptionReceived(rtc, (t) => {
      const at = performance.now();
      for (const segment of t.segments) {
        user.#addTranscription({
          participantIdentity: t.participantIdentity,
          trackSid: t.trackSid,
          id: segment.id,
          text: segment.text,
          final: segment.final,
          at,
        });
      }
    });
    // Tracks published before we joined arrive as subscriptions too; nothing to catch up on.
    return user;
  }

  /**
   * Plays `speech` (or the part between `fromSec` and `toSec`) into the microphone track,
   * published on first use, at real-time pace, resolving once all of it was sent.
   * Calls queue behind each other.
   */
  speak(speech: Speech, part: SpeechPart = {}): Promise<void> {
    const run = this.#speaking.then(async () => this.#play(await this.#toFrames(speech), part));
    this.#speaking = run.catch(() => {});
    return run;
  }

  /** Sends `ms` of digital silence on the microphone track. */
  silence(ms: number): Promise<void> {
    const rate = this.#options.sampleRate;
    const samples = Math.round((rate * ms) / 1000);
    return this.speak(new AudioFrame(new Int16Array(samples), rate, 1, samples));
  }

  /** Every block heard so far, oldest first (bounded by `maxBlocks`). */
  heard(): HeardBlock[] {
    return [...this.#blocks];
  }

  /** Every transcription update received so far, oldest first, both sides. */
  transcriptions(): HeardTranscription[] {
    return [...this.#transcriptions];
  }

  /** The latest text of each final segment from `identity`, in order. */
  finalTexts(identity: string): string[] {
    return this.#transcriptions
      .filter((t) => t.participantIdentity === identity && t.final)
      .map((t) => t.text);
  }

  /** Resolves with the first block at or above `minRms` heard since `since`: the agent started speaking. */
  waitForAudio(options: AudioWaitOptions = {}): Promise<HeardBlock> {
    const minRms = options.minRms ?? DEFAULT_SPEECH_RMS;
    const since = options.since ?? 0;
    return this.#until(
      () => this.#blocks.find((b) => b.at >= since && b.rms >= minRms),
      options.timeoutMs,
      `audio with RMS >= ${minRms}`,
    );
  }

  /**
   * Resolves with the time the agent's speech ended: after a block at or above `maxRms`
   * (heard since `since`), `forMs` passed with none. Checked as blocks arrive and on a
   * clock, since a stopped track may send nothing at all.
   */
  async waitForSilence(options: SilenceWaitOptions = {}): Promise<number> {
    const maxRms = options.maxRms ?? DEFAULT_SPEECH_RMS;
    const forMs = options.forMs ?? 300;
    const since = options.since ?? 0;
    const tick = setInterval(() => this.#notify(), FRAME_MS * 2);
    try {
      return await this.#until(
        () => {
          const loud = this.#blocks.findLast((b) => b.at >= since && b.rms >= maxRms);
          if (loud === undefined) return undefined;
          return performance.now() - loud.at >= forMs ? loud.at : undefined;
        },
        options.timeoutMs,
        `${forMs} ms of silence (RMS < ${maxRms}) after speech`,
      );
    } finally {
      clearInterval(tick);
    }
  }

  /** Resolves with the first transcription update (already received or to come) that matches. */
  waitForTranscription(
    predicate: (t: HeardTranscription) => boolean,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<HeardTranscription> {
    return this.#until(
      () => this.#transcriptions.find(predicate),
      options.timeoutMs,
      options.what ?? 'a matching transcription',
    );
  }

  /** Leaves the room: pending waits fail, the microphone stops. Idempotent. */
  async leave(): Promise<void> {
    if (this.#left) return;
    this.#left = true;
    this.#detachTranscriptions?.();
    this.#source?.clearQueue();
    for (const reader of this.#streams) reader.cancel().catch(() => {});
    this.#streams.clear();
    await this.room.disconnect();
    this.#notify();
    await this.#source?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.leave();
  }

  async #toFrames(speech: Speech): Promise<AudioFrame[]> {
    const frames =
      typeof speech === 'string' || speech instanceof URL
        ? [await audio.readWavFile(speech)]
        : Array.isArray(speech)
          ? (speech as AudioFrame[])
          : [speech as AudioFrame];
    const mono = frames.map((f) => (f.channels === 1 ? f : audio.downmixToMono(f)));
    const rate = this.#options.sampleRate;
    return mono.every((f) => f.sampleRate === rate) ? mono : audio.resampleFrames(mono, rate);
  }

  async #play(frames: AudioFrame[], part: SpeechPart): Promise<void> {
    if (this.#left) throw new Error(`${this.identity} cannot speak: it left the room`);
    const source = await this.#microphone();
    const rate = this.#options.sampleRate;
    const chunk = (rate * FRAME_MS) / 1000;
    if (frames.length === 0) return;
    const all = audio.combineFrames(frames).data;
    const from = Math.max(0, Math.round((part.fromSec ?? 0) * rate));
    const samples = all.subarray(from, Math.round((part.toSec ?? Number.POSITIVE_INFINITY) * rate));
    // captureFrame paces the feed: it waits while the source's small queue is full.
    for (let at = 0; at < samples.length && !this.#left; at += chunk) {
      const data = new Int16Array(chunk);
      data.set(samples.subarray(at, Math.min(at + chunk, samples.length)));
      await source.captureFrame(new AudioFrame(data, rate, 1, chunk));
    }
    if (!this.#left) await source.waitForPlayout();
  }

  async #microphone(): Promise<AudioSource> {
    if (this.#source) return this.#source;
    const participant = this.room.localParticipant;
    if (!participant) throw new Error(`${this.identity} is not connected`);
    // A short queue keeps the feed close to real time, so a barge-in lands when the test says.
    const source = new AudioSource(this.#options.sampleRate, 1, 100);
    const track = LocalAudioTrack.createAudioTrack('microphone', source);
    const publish = new TrackPublishOptions();
    publish.source = TrackSource.SOURCE_MICROPHONE;
    await participant.publishTrack(track, publish);
    this.#source = source;
    return source;
  }

  #record(track: RemoteTrack, participant: RemoteParticipant): void {
    if (track.kind !== TrackKind.KIND_AUDIO) return;
    const wanted = this.#options.agentIdentity;
    if (wanted !== undefined && participant.identity !== wanted) return;
    const stream = new AudioStream(track, { sampleRate: this.#options.sampleRate, numChannels: 1 });
    const reader = stream.getReader();
    this.#streams.add(reader);
    const blockSamples = Math.max(1, (this.#options.sampleRate * this.#options.blockMs) / 1000);
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          const at = performance.now();
          for (let i = 0; i < value.samplesPerChannel; i += blockSamples) {
            const block = value.data.subarray(
              i,
              Math.min(i + blockSamples, value.samplesPerChannel),
            );
            this.#push(
              this.#blocks,
              { identity: participant.identity, at, rms: rms(block) },
              this.#options.maxBlocks,
            );
          }
          this.#notify();
        }
      } catch {
        // The track went away or we left: what was heard stays recorded.
      } finally {
        this.#streams.delete(reader);
      }
    })();
  }

  #addTranscription(t: HeardTranscription): void {
    this.#push(this.#transcriptions, t, this.#options.maxTranscriptions);
    this.#notify();
  }

  #push<T>(list: T[], item: T, max: number): void {
    list.push(item);
    if (list.length > max) list.splice(0, list.length - max);
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  #until<T>(find: () => T | undefined, timeoutMs: number | undefined, what: string): Promise<T> {
    const deadline = timeoutMs ?? scaledMs(DEFAULT_WAIT_MS);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          const found = find();
          if (found !== undefined) return settle(() => resolve(found));
          if (this.#left)
            return settle(() => reject(this.#error(`${what}: ${this.identity} left the room`)));
          return false;
        },
      };
      const timer = setTimeout(
        () => settle(() => reject(this.#error(`no ${what} within ${deadline} ms`))),
        deadline,
      );
      const settle = (done: () => void): boolean => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        done();
        return true;
      };
      this.#waiters.add(waiter);
      waiter.check();
    });
  }

  #error(message: string): Error {
    return new Error(`SimulatedUser ${this.identity}: ${message}; seen: ${this.#summary()}`);
  }

  /** What was heard, for error messages: loudest block per participant and the last transcriptions. */
  #summary(): string {
    const loudest = new Map<string, number>();
    for (const b of this.#blocks)
      loudest.set(b.identity, Math.max(loudest.get(b.identity) ?? 0, b.rms));
    const audioSeen =
      loudest.size === 0
        ? 'no audio'
        : [...loudest].map(([who, level]) => `${who} peak RMS ${Math.round(level)}`).join(', ');
    const recent = this.#transcriptions
      .slice(-5)
      .map((t) => `${t.participantIdentity}${t.final ? ' (final)' : ''}: "${t.text}"`);
    const remote = [...this.room.remoteParticipants.keys()].join(', ') || 'none';
    return `${audioSeen} in ${this.#blocks.length} blocks; ${this.#transcriptions.length} transcription updates${
      recent.length > 0 ? ` [${recent.join('; ')}]` : ''
    }; remote participants: ${remote}`;
  }
}

function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length);
}

interface FfiRoomEvent {
  message: {
    case?: string;
    value?: {
      roomHandle?: bigint;
      message?: { case?: string; value?: Omit<Transcription, 'segments'> & Partial<Transcription> };
    };
  };
}

interface FfiEmitter {
  on(event: 'ffi_event', listener: (event: FfiRoomEvent) => void): unknown;
  off(event: 'ffi_event', listener: (event: FfiRoomEvent) => void): unknown;
}

/**
 * Calls `record` with each transcription one rtc-node Room receives.
 * rtc-node 1.1 drops the Rust SDK's `transcriptionReceived` room event (its
 * Room has no such event), so it is read from the FFI event stream rtc-node
 * itself listens to (a global), keeping only this room's events. Returns the
 * function that stops listening.
 */
export function onTranscriptionReceived(
  room: Room,
  record: (transcription: Transcription) => void,
): () => void {
  const ffi = (globalThis as { _ffiClientInstance?: FfiEmitter })._ffiClientInstance;
  const handle = (room as unknown as { ffiHandle?: { handle: bigint } }).ffiHandle?.handle;
  if (ffi === undefined || handle === undefined) {
    throw new Error(
      'cannot listen for transcriptions: @livekit/rtc-node internals changed (no FFI client or room handle)',
    );
  }
  const listener = (event: FfiRoomEvent) => {
    const roomEvent = event.message.case === 'roomEvent' ? event.message.value : undefined;
    if (roomEvent?.roomHandle !== handle) return;
    if (roomEvent.message?.case !== 'transcriptionReceived' || !roomEvent.message.value) return;
    const t = roomEvent.message.value;
    record({
      participantIdentity: t.participantIdentity ?? '',
      trackSid: t.trackSid ?? '',
      // The FFI carries the times as strings; rtc-node's Transcription has bigints.
      segments: (t.segments ?? []).map((segment) => ({
        id: segment.id,
        text: segment.text,
        startTime: BigInt(segment.startTime),
        endTime: BigInt(segment.endTime),
        language: segment.language,
        final: segment.final,
      })),
    });
  };
  ffi.on('ffi_event', listener);
  return () => ffi.off('ffi_event', listener);
}
