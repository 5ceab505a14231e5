// A stand-in for `@livekit/rtc-node`'s Room, for testing the room binding
// without a media server. It implements core's `RoomSurface` and mirrors what
// rtc-node 1.1 does before each event (room.ts, processFfiEvent): the
// publication is registered before `trackPublished`, `subscribed`/`track` are
// set before `trackSubscribed`, the track is cleared after `trackUnsubscribed`
// and its AudioStreams are ended, the participant is removed from
// `remoteParticipants` and given its `disconnectReason` before
// `participantDisconnected`. The audio is real: each microphone is an rtc-node
// `AudioSource`, and a subscriber gets a `LocalAudioTrack` on that source, so
// an `AudioStream` on `publication.track` hears what `mic.play()` captures,
// paced in real time by the native side.
import { EventEmitter } from 'node:events';
import type { voice } from '@agents/core';
import { audio } from '@agents/core';
import {
  AudioFrame,
  AudioResampler,
  AudioSource,
  AudioStream,
  DisconnectReason,
  LocalAudioTrack,
  type LocalTrack,
  ParticipantKind,
  type Track,
  TrackKind,
  type TrackPublishOptions,
  TrackSource,
  type Transcription,
} from '@livekit/rtc-node';

type RoomSurface = voice.RoomSurface;
type RoomRemoteParticipant = voice.RoomRemoteParticipant;
type RoomRemotePublication = voice.RoomRemotePublication;
type RoomLocalParticipant = voice.RoomLocalParticipant;
type RoomLocalPublication = voice.RoomLocalPublication;

export interface FakeRoomOptions {
  name?: string;
  /** Identity of the local participant, the agent (default 'agent'). */
  localIdentity?: string;
  /** Subscribe to every published track at once, as rtc-node's default `autoSubscribe` (default true). */
  autoSubscribe?: boolean;
  /** `waitForSubscription()` of the agent's publications resolves at once (default false: after `subscribeAgent()`). */
  agentSubscribed?: boolean;
}

export interface FakeJoinOptions {
  kind?: ParticipantKind;
  name?: string;
  attributes?: Record<string, string>;
}

export interface FakeMicrophoneOptions {
  /** Rate of the microphone's AudioSource (default 48000). */
  sampleRate?: number;
  /** Track name (default 'microphone'). */
  name?: string;
  /** Track source (default SOURCE_MICROPHONE). */
  source?: TrackSource;
}

/** How simulateReconnect behaves (see there). */
export type FakeReconnectMode = 'media' | 'resume' | 'full';

/** One `publishTranscription` call the room accepted. */
export interface RecordedTranscription {
  at: number;
  transcription: Transcription;
}

let nextId = 1;
const newSid = (prefix: string): string => `${prefix}_fake${(nextId++).toString(36)}`;

/** A remote participant's publication (rtc-node `RemoteTrackPublication`). */
export class FakeRemotePublication implements RoomRemotePublication {
  readonly sid: string;
  readonly kind = TrackKind.KIND_AUDIO;
  subscribed = false;
  muted = false;
  track?: Track;
  /** The participant's wish, as `setSubscribed`: false after setSubscribed(false) even when autoSubscribe. */
  #wanted: boolean | undefined;

  constructor(
    readonly mic: FakeMicrophone,
    readonly name: string,
    readonly source: TrackSource,
  ) {
    this.sid = newSid('TR');
  }

  setSubscribed(subscribed: boolean): void {
    this.#wanted = subscribed;
    // rtc-node sends a request to the native side; the events come back later.
    queueMicrotask(() => this.mic.participant.room._applySubscription(this));
  }

  /** @internal */
  _wants(autoSubscribe: boolean): boolean {
    return this.#wanted ?? autoSubscribe;
  }
}

/** A microphone published by a FakeParticipant. */
export class FakeMicrophone {
  readonly source: AudioSource;
  /** The publisher's track (what the native source feeds). */
  readonly track: LocalAudioTrack;
  publication: FakeRemotePublication;
  #muted = false;
  #published = true;

  constructor(
    readonly participant: FakeParticipant,
    options: FakeMicrophoneOptions,
  ) {
    const sampleRate = options.sampleRate ?? 48000;
    // 200 ms: `captureFrame` waits once that much is queued, so play() runs in real time.
    this.source = new AudioSource(sampleRate, 1, 200);
    const name = options.name ?? 'microphone';
    this.track = LocalAudioTrack.createAudioTrack(name, this.source);
    this.publication = new FakeRemotePublication(
      this,
      name,
      options.source ?? TrackSource.SOURCE_MICROPHONE,
    );
    participant.room._tracks.add(this.track);
    participant.room._sources.add(this.source);
  }

  get sampleRate(): number {
    return this.source.sampleRate;
  }

  get muted(): boolean {
    return this.#muted;
  }

  /**
   * Captures audio into the source in real time: frames (any rate, mono),
   * 16-bit PCM at the microphone's rate, or a WAV file. While muted it
   * captures silence instead, as a muted browser track sends silence.
   * Stops early (resolving) on `signal`, unpublish or dispose.
   */
  async play(
    input: AudioFrame | readonly AudioFrame[] | Int16Array | string,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const frames = await this.#framesOf(input);
    for (const frame of frames) {
      if (options.signal?.aborted || !this.#published || this.source.closed) return;
      const data = this.#muted ? new Int16Array(frame.data.length) : frame.data;
      try {
        await this.source.captureFrame(
          new AudioFrame(data, frame.sampleRate, 1, frame.samplesPerChannel),
        );
      } catch (error) {
        if (this.source.closed) return;
        throw error;
      }
    }
  }

  /** The participant mutes: `publication.muted` true, then `trackMuted`. */
  mute(): void {
    if (this.#muted || !this.#published) return;
    this.#muted = true;
    this.publication.muted = true;
    this.participant.room.emit('trackMuted', this.publication, this.participant);
  }

  unmute(): void {
    if (!this.#muted || !this.#published) return;
    this.#muted = false;
    this.publication.muted = false;
    this.participant.room.emit('trackUnmuted', this.publication, this.participant);
  }

  /** `trackUnsubscribed` (when subscribed), then `trackUnpublished`; the source is closed. */
  async unpublish(): Promise<void> {
    if (!this.#published) return;
    this.#published = false;
    const room = this.participant.room;
    room._unpublish(this.publication, this.participant);
    if (room._tracks.delete(this.track)) await this.track.close(false);
    if (room._sources.delete(this.source)) await this.source.close();
  }

  /** @internal Publishes again under a new sid (after a full reconnect). */
  _renew(): FakeRemotePublication {
    const old = this.publication;
    this.publication = new FakeRemotePublication(this, old.name, old.source);
    this.publication.muted = this.#muted;
    return this.publication;
  }

  get published(): boolean {
    return this.#published;
  }

  async #framesOf(
    input: AudioFrame | readonly AudioFrame[] | Int16Array | string,
  ): Promise<AudioFrame[]> {
    const rate = this.source.sampleRate;
    let frames: AudioFrame[];
    if (typeof input === 'string') frames = [await audio.readWavFile(input)];
    else if (input instanceof Int16Array) frames = [new AudioFrame(input, rate, 1, input.length)];
    else if (input instanceof AudioFrame) frames = [input];
    else frames = [...input];
    const out: AudioFrame[] = [];
    let resampler: AudioResampler | undefined;
    for (const frame of frames) {
      if (frame.channels !== 1) {
        throw new Error(`FakeMicrophone plays mono audio; got ${frame.channels} channels`);
      }
      if (frame.sampleRate !== rate) {
        resampler ??= new AudioResampler(frame.sampleRate, rate, 1);
        for (const piece of resampler.push(frame)) out.push(...splitFrames(piece));
      } else out.push(...splitFrames(frame));
    }
    if (resampler) for (const piece of resampler.flush()) out.push(...splitFrames(piece));
    return out;
  }
}

/** 10 ms frames, the native side's tick. */
function splitFrames(frame: AudioFrame): AudioFrame[] {
  const step = Math.round(frame.sampleRate / 100);
  const out: AudioFrame[] = [];
  for (let at = 0; at < frame.samplesPerChannel; at += step) {
    const data = frame.data.slice(at, Math.min(at + step, frame.samplesPerChannel));
    out.push(new AudioFrame(data, frame.sampleRate, 1, data.length));
  }
  return out;
}

/** A remote participant (rtc-node `RemoteParticipant`). */
export class FakeParticipant implements RoomRemoteParticipant {
  readonly sid: string;
  readonly name: string | undefined;
  readonly kind: ParticipantKind;
  readonly attributes: Record<string, string>;
  disconnectReason: DisconnectReason | undefined;
  readonly trackPublications = new Map<string, FakeRemotePublication>();
  readonly microphones: FakeMicrophone[] = [];

  constructor(
    readonly room: FakeRoom,
    readonly identity: string,
    options: FakeJoinOptions,
  ) {
    this.sid = newSid('PA');
    this.name = options.name ?? identity;
    this.kind = options.kind ?? ParticipantKind.STANDARD;
    this.attributes = { ...options.attributes };
  }

  /** Publishes a microphone: `trackPublished`, then (when subscribed) `trackSubscribed`. */
  publishMicrophone(options: FakeMicrophoneOptions = {}): FakeMicrophone {
    if (this.room.remoteParticipants.get(this.identity) !== this) {
      throw new Error(`${this.identity} has left the room; join again to publish`);
    }
    const mic = new FakeMicrophone(this, options);
    this.microphones.push(mic);
    this.room._publish(mic.publication, this);
    return mic;
  }

  /** Leaves the room: every track unsubscribed and unpublished, then `participantDisconnected`. */
  leave(reason: DisconnectReason = DisconnectReason.CLIENT_INITIATED): void {
    if (this.room.remoteParticipants.get(this.identity) !== this) return;
    for (const mic of this.microphones) {
      if (!mic.published) continue;
      void mic.unpublish();
    }
    this.room._disconnect(this, reason);
  }
}

/** The agent's publication (rtc-node `LocalTrackPublication`). */
export class FakeLocalPublication implements RoomLocalPublication {
  readonly sid = newSid('TR');
  constructor(
    readonly track: LocalTrack,
    readonly options: TrackPublishOptions,
    readonly room: FakeRoom,
  ) {}

  waitForSubscription(): Promise<void> {
    return this.room._agentSubscribed;
  }
}

/** The agent (rtc-node `LocalParticipant`). */
export class FakeLocalParticipant implements RoomLocalParticipant {
  readonly sid = newSid('PA');
  readonly trackPublications = new Map<string, FakeLocalPublication>();
  /** Sids of the tracks unpublished so far, in order. */
  readonly unpublished: string[] = [];

  constructor(
    readonly room: FakeRoom,
    readonly identity: string,
  ) {}

  async publishTrack(
    track: LocalTrack,
    options: TrackPublishOptions,
  ): Promise<FakeLocalPublication> {
    if (!this.room.isConnected) throw new Error('FakeRoom: not connected');
    const publication = new FakeLocalPublication(track, options, this.room);
    // As rtc-node: the track takes the publication's sid.
    if (track.info) track.info.sid = publication.sid;
    this.trackPublications.set(publication.sid, publication);
    return publication;
  }

  async unpublishTrack(trackSid: string, _stopOnUnpublish?: boolean): Promise<void> {
    if (!this.trackPublications.delete(trackSid)) return;
    this.unpublished.push(trackSid);
  }

  publishTranscription(transcription: Transcription): Promise<void> {
    return this.room._publishTranscription(transcription);
  }
}

/**
 * The stand-in room. `room.join('alice').publishMicrophone()` gives a
 * microphone whose audio an `AudioStream` on `publication.track` hears.
 * Tests call `await room.dispose()` in afterEach.
 */
export class FakeRoom extends EventEmitter implements RoomSurface {
  readonly name: string;
  readonly autoSubscribe: boolean;
  readonly localParticipant: FakeLocalParticipant;
  readonly remoteParticipants = new Map<string, FakeParticipant>();
  readonly transcriptions: RecordedTranscription[] = [];
  #connected = true;
  #failures: number | 'always' | 'hang' = 0;
  readonly #hanging = new Set<(error: Error) => void>();
  readonly #streams = new Set<AudioStream>();
  /** @internal Every track made for microphones and subscribers, closed on dispose. */
  readonly _tracks = new Set<LocalAudioTrack>();
  /** @internal The microphones' sources, closed on dispose. */
  readonly _sources = new Set<AudioSource>();
  /** @internal */
  _agentSubscribed: Promise<void>;
  #resolveAgentSubscribed!: () => void;

  constructor(options: FakeRoomOptions = {}) {
    super();
    this.name = options.name ?? 'test-room';
    this.autoSubscribe = options.autoSubscribe ?? true;
    this.localParticipant = new FakeLocalParticipant(this, options.localIdentity ?? 'agent');
    this._agentSubscribed = new Promise((resolve) => {
      this.#resolveAgentSubscribed = resolve;
    });
    if (options.agentSubscribed) this.subscribeAgent();
  }

  get isConnected(): boolean {
    return this.#connected;
  }

  /** A participant joins: `participantConnected`. */
  join(identity: string, options: FakeJoinOptions = {}): FakeParticipant {
    if (!this.#connected) throw new Error('FakeRoom is closed');
    if (this.remoteParticipants.has(identity)) {
      throw new Error(`${identity} is already in the room`);
    }
    const participant = new FakeParticipant(this, identity, options);
    this.remoteParticipants.set(identity, participant);
    this.emit('participantConnected', participant);
    return participant;
  }

  /** A remote user subscribes to the agent's tracks: `waitForSubscription()` resolves. */
  subscribeAgent(): void {
    this.#resolveAgentSubscribed();
  }

  /** The agent's most recently published audio track still published. */
  agentTrack(): LocalAudioTrack | undefined {
    const tracks = [...this.localParticipant.trackPublications.values()].map((p) => p.track);
    return tracks.filter((t): t is LocalAudioTrack => t instanceof LocalAudioTrack).at(-1);
  }

  /** A remote user hearing the agent: an AudioStream on its track (closed on dispose). */
  listenToAgent(options: { sampleRate?: number; frameSizeMs?: number } = {}): AudioStream {
    const track = this.agentTrack();
    if (!track) throw new Error('the agent has not published an audio track yet');
    this.subscribeAgent();
    const stream = new AudioStream(track, {
      sampleRate: options.sampleRate ?? 24000,
      numChannels: 1,
      frameSizeMs: options.frameSizeMs ?? 10,
    });
    this.#streams.add(stream);
    return stream;
  }

  /**
   * The next `n` publishTranscription calls reject ('always': all of them;
   * 'hang': all of them never settle, until dispose; 0: back to normal).
   */
  failTranscriptions(mode: number | 'always' | 'hang'): void {
    this.#failures = mode;
  }

  /**
   * A reconnection. 'media' (default): `reconnecting`, every subscribed track
   * unsubscribed, `reconnected`, subscribed again with new track objects.
   * 'resume': `reconnecting`, `reconnected`, nothing else (rtc-node's resume).
   * 'full': what rtc-node's full reconnect does: every remote participant
   * disconnected (reason unknown), `reconnecting`, `reconnected`, then each
   * joins again and republishes under new sids.
   */
  async simulateReconnect(mode: FakeReconnectMode = 'media'): Promise<void> {
    if (!this.#connected) throw new Error('FakeRoom is closed');
    const participants = [...this.remoteParticipants.values()];
    if (mode === 'full') {
      for (const participant of participants) {
        for (const mic of participant.microphones) {
          if (mic.published) this._unpublishEvents(mic.publication, participant);
        }
        this._disconnect(participant, DisconnectReason.UNKNOWN_REASON);
      }
    }
    this.emit('reconnecting');
    if (mode === 'media') {
      for (const participant of participants) {
        for (const publication of participant.trackPublications.values()) {
          if (publication.subscribed) this._unsubscribe(publication, participant);
        }
      }
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.emit('reconnected');
    if (mode === 'media') {
      for (const participant of participants) {
        for (const publication of participant.trackPublications.values()) {
          this._applySubscription(publication);
        }
      }
    } else if (mode === 'full') {
      for (const participant of participants) {
        participant.disconnectReason = undefined;
        this.remoteParticipants.set(participant.identity, participant);
        this.emit('participantConnected', participant);
        for (const mic of participant.microphones) {
          if (mic.published) this._publish(mic._renew(), participant);
        }
      }
    }
  }

  /**
   * The room ends for the agent: `disconnected(reason)`, `isConnected` false.
   * As in rtc-node, no `participantDisconnected` is emitted and the remote
   * participants stay in the map; AudioStreams on subscribed tracks end.
   */
  close(reason: DisconnectReason = DisconnectReason.ROOM_DELETED): void {
    if (!this.#connected) return;
    this.#connected = false;
    for (const participant of this.remoteParticipants.values()) {
      for (const publication of participant.trackPublications.values()) {
        publication.track?.closeAudioStreams();
      }
    }
    this.emit('disconnected', reason);
  }

  /** Closes everything the room made (sources, tracks, streams); pending transcriptions reject. */
  async dispose(): Promise<void> {
    this.close(DisconnectReason.CLIENT_INITIATED);
    for (const reject of [...this.#hanging]) reject(new Error('FakeRoom disposed'));
    // Ends listenToAgent's streams even when a reader holds them.
    for (const publication of this.localParticipant.trackPublications.values()) {
      publication.track.closeAudioStreams();
    }
    for (const stream of this.#streams) if (!stream.locked) await stream.cancel();
    this.#streams.clear();
    for (const track of this._tracks) {
      track.closeAudioStreams();
      await track.close(false);
    }
    this._tracks.clear();
    for (const source of this._sources) await source.close();
    this._sources.clear();
    this.removeAllListeners();
  }

  // --- internals shared with participants and microphones ---

  /** @internal */
  _publish(publication: FakeRemotePublication, participant: FakeParticipant): void {
    participant.trackPublications.set(publication.sid, publication);
    this.emit('trackPublished', publication, participant);
    if (publication._wants(this.autoSubscribe)) {
      queueMicrotask(() => this._applySubscription(publication));
    }
  }

  /** @internal Brings the subscription in line with what is wanted, with events. */
  _applySubscription(publication: FakeRemotePublication): void {
    const participant = publication.mic.participant;
    if (!this.#connected || participant.trackPublications.get(publication.sid) !== publication) {
      return;
    }
    const wanted = publication._wants(this.autoSubscribe);
    if (wanted && !publication.subscribed) {
      // A subscriber's track is its own object on the publisher's source (rtc-node makes a RemoteAudioTrack).
      const track = LocalAudioTrack.createAudioTrack(publication.name, publication.mic.source);
      if (track.info) track.info.sid = publication.sid;
      this._tracks.add(track);
      publication.subscribed = true;
      publication.track = track;
      this.emit('trackSubscribed', track, publication, participant);
    } else if (!wanted && publication.subscribed) {
      this._unsubscribe(publication, participant);
    }
  }

  /** @internal */
  _unsubscribe(publication: FakeRemotePublication, participant: FakeParticipant): void {
    const track = publication.track;
    publication.track = undefined;
    publication.subscribed = false;
    if (!track) return;
    this.emit('trackUnsubscribed', track, publication, participant);
    // After the event, as rtc-node: an unsubscribed track gets no `eos`.
    track.closeAudioStreams();
    if (track instanceof LocalAudioTrack && this._tracks.delete(track)) void track.close(false);
  }

  /** @internal */
  _unpublish(publication: FakeRemotePublication, participant: FakeParticipant): void {
    if (participant.trackPublications.get(publication.sid) !== publication) return;
    this._unpublishEvents(publication, participant);
  }

  /** @internal */
  _unpublishEvents(publication: FakeRemotePublication, participant: FakeParticipant): void {
    if (publication.subscribed) this._unsubscribe(publication, participant);
    participant.trackPublications.delete(publication.sid);
    this.emit('trackUnpublished', publication, participant);
  }

  /** @internal */
  _disconnect(participant: FakeParticipant, reason: DisconnectReason): void {
    this.remoteParticipants.delete(participant.identity);
    // rtc-node reports UNKNOWN_REASON as undefined.
    participant.disconnectReason = reason === DisconnectReason.UNKNOWN_REASON ? undefined : reason;
    this.emit('participantDisconnected', participant);
  }

  /** @internal */
  _publishTranscription(transcription: Transcription): Promise<void> {
    if (!this.#connected) return Promise.reject(new Error('FakeRoom: not connected'));
    if (this.#failures === 'hang') {
      return new Promise((_resolve, reject) => {
        const settle = (error: Error) => {
          this.#hanging.delete(settle);
          reject(error);
        };
        this.#hanging.add(settle);
      });
    }
    if (this.#failures === 'always') {
      return Promise.reject(
        new Error('FakeRoom: publishTranscription failed (failTranscriptions)'),
      );
    }
    if (this.#failures > 0) {
      this.#failures--;
      return Promise.reject(
        new Error('FakeRoom: publishTranscription failed (failTranscriptions)'),
      );
    }
    this.transcriptions.push({ at: performance.now(), transcription });
    return Promise.resolve();
  }
}
