import type { Job } from '@livekit/protocol';
import type { RemoteParticipant, RemoteTrackPublication, Room, TrackKind } from '@livekit/rtc-node';
import { rtc } from '../audio/rtc.js';
import { redactUrl } from '../log.js';
import { DeadlineError, errorMessage, withDeadline } from '../utils/deadline.js';
import type { TypedEventEmitter } from '../utils/emitter.js';
import { _setJobForRoom } from '../voice/assistant.js';
import type { VoiceAssistantEvents } from '../voice/assistant-types.js';
import type { VoiceIO } from '../voice/io.js';
import type { JobProcess } from './agent.js';
import type { RunningJobInfo } from './job-info.js';
import { JobVoice, type JobVoiceOptions } from './job-voice.js';

/** Which remote tracks to subscribe to on joining the room (and as they are published). */
export type AutoSubscribe = 'all' | 'none' | 'audio_only' | 'video_only';

export interface ConnectOptions {
  /** Default `'all'`. With `'none'`, subscribe yourself with `publication.setSubscribed(true)`. */
  autoSubscribe?: AutoSubscribe;
  /** Deadline for joining the room. Default 30 s. */
  timeoutMs?: number;
}

export interface WaitForParticipantOptions {
  /** Give up after this long. Without it, the wait lasts until the job ends. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs when the job ends, with the reason; awaited in the order they were added. */
export type ShutdownCallback = (reason: string) => void | Promise<void>;

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** What the job process hands the context; the context only reads it. */
export interface JobContextInit {
  info: RunningJobInfo;
  proc: JobProcess;
  room: Room;
  /** Aborted once the job starts ending, for whatever reason. */
  ending: AbortSignal;
  /** The list the job process runs at teardown; `addShutdownCallback` appends to it. */
  shutdownCallbacks: ShutdownCallback[];
  /** Asks the job process to end the job. */
  requestShutdown: (reason: string) => void;
  /**
   * The voice binding of this job (`ctx.voiceIO()`) when it is not the room:
   * the console's file IO in `console` mode.
   */
  voiceIO?: (participantIdentity?: string) => Promise<VoiceIO>;
  /** Told of each assistant started on this context (the console follows its events). */
  onAssistantStarted?: (assistant: VoiceAssistantLike) => void;
}

/** What the job needs of a VoiceAssistant: its typed events (the console follows them), and close. */
export type VoiceAssistantLike = Pick<TypedEventEmitter<VoiceAssistantEvents>, 'on' | 'off'> & {
  close?(): Promise<void>;
};

/** Each job's room leads back to its context: `assistant.start(ctx.room)` finds the job. */
const contextOfRoom = new WeakMap<object, JobContext>();
_setJobForRoom((room) => contextOfRoom.get(room));

/**
 * What an agent's `entry` gets: the job, its room, and the controls of the job's
 * lifetime. The room is not joined until `connect()`, so an entry can do work
 * first (and a job that never needs the room never joins it).
 */
export class JobContext {
  /** The job from the server's assignment. */
  readonly job: Job;
  /** The job's room: not connected until `connect()` resolves. */
  readonly room: Room;
  /** This process, with what `prewarm` left in `proc.userData`. */
  readonly proc: JobProcess;
  readonly #init: JobContextInit;
  readonly #voice: JobVoice;
  #connecting: Promise<void> | undefined;

  constructor(init: JobContextInit) {
    this.#init = init;
    this.job = init.info.job;
    this.room = init.room;
    this.proc = init.proc;
    this.#voice = new JobVoice(init.room, init.requestShutdown);
    contextOfRoom.set(init.room, this);
  }

  /** The identity, name, metadata and attributes the agent joins the room with. */
  get acceptArguments(): RunningJobInfo['acceptArguments'] {
    return this.#init.info.acceptArguments;
  }

  /**
   * Joins the room with the assignment's url and token. Calling it again
   * returns the same attempt: a room is joined once per job.
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    this.#connecting ??= this.#connect(options);
    return this.#connecting;
  }

  /**
   * Resolves with the first remote participant that is `identity` or, without
   * one, that is not an agent: already in the room or joining later. Rejects
   * when `timeoutMs` passes, the signal aborts, or the job ends.
   */
  waitForParticipant(
    identity?: string,
    options: WaitForParticipantOptions = {},
  ): Promise<RemoteParticipant> {
    const { ParticipantKind } = rtc();
    const matches = (participant: RemoteParticipant) =>
      identity === undefined
        ? participant.kind !== ParticipantKind.AGENT
        : participant.identity === identity;
    for (const participant of this.room.remoteParticipants.values()) {
      if (matches(participant)) return Promise.resolve(participant);
    }
    const signals = [this.#init.ending, options.signal].filter((s) => s !== undefined);
    const stop = AbortSignal.any(signals);
    if (stop.aborted) return Promise.reject(stop.reason);

    const room = this.room;
    const who = identity === undefined ? 'participant' : `participant "${identity}"`;
    return new Promise((resolve, reject) => {
      const onJoined = (participant: RemoteParticipant) => {
        if (matches(participant)) finish(undefined, participant);
      };
      const onStop = () => finish(stop.reason);
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(
              () => finish(new DeadlineError(`no ${who} joined within ${options.timeoutMs} ms`)),
              options.timeoutMs,
            );
      function finish(error: unknown, participant?: RemoteParticipant) {
        clearTimeout(timer);
        stop.removeEventListener('abort', onStop);
        room.off('participantConnected', onJoined);
        if (participant) resolve(participant);
        else reject(error);
      }
      room.on('participantConnected', onJoined);
      stop.addEventListener('abort', onStop, { once: true });
    });
  }

  /**
   * Registers cleanup to run when the job ends (room left, `shutdown()`, or the
   * worker asking). Callbacks share the job's shutdown deadline; past it the
   * process is killed, so keep them short.
   */
  addShutdownCallback(callback: ShutdownCallback): void {
    this.#init.shutdownCallbacks.push(callback);
  }

  /**
   * The audio and text binding a `VoiceAssistant` talks through;
   * `assistant.start(ctx.room)` and `assistant.start(ctx)` call it. In a room
   * job (after `connect()`) it listens to `participantIdentity`, or to the
   * first participant who is not an agent and then the next one, and speaks
   * on a track of the agent's own; by default the job ends when that
   * participant leaves for good (`options.closeOnParticipantLeave`). Under
   * the `console` command it is the WAV file in and the recording out.
   */
  voiceIO(participantIdentity?: string, options: JobVoiceOptions = {}): Promise<VoiceIO> {
    const provide = this.#init.voiceIO;
    if (provide) return provide(participantIdentity);
    return this.#voice.binding(participantIdentity, options);
  }

  /**
   * Called by `VoiceAssistant.start()` on this job, so a tool that runs the
   * job (the console) can follow the conversation, and the job's end closes
   * the assistant. Not for agent code.
   * @internal
   */
  _assistantStarted(assistant: VoiceAssistantLike): void {
    if (assistant.close) this.#voice.track(assistant as Required<VoiceAssistantLike>);
    this.#init.onAssistantStarted?.(assistant);
  }

  /**
   * Closes the job's assistants and room bindings (each with a deadline):
   * the first step of the job's teardown. Not for agent code.
   * @internal
   */
  _closeVoice(): Promise<void> {
    return this.#voice.close();
  }

  /** Ends the job as a success: shutdown callbacks run, the room is left, the process exits. */
  shutdown(reason = 'job shutdown requested'): void {
    this.#init.requestShutdown(reason);
  }

  async #connect({
    autoSubscribe = 'all',
    timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
  }: ConnectOptions) {
    const { url, token } = this.#init.info;
    if (this.#init.ending.aborted) {
      throw new Error('cannot connect: the job is already shutting down');
    }
    const { TrackKind } = rtc();
    // Registered before joining so no publication slips between the join and the handler.
    if (autoSubscribe === 'audio_only') this.#subscribeTo(TrackKind.KIND_AUDIO);
    if (autoSubscribe === 'video_only') this.#subscribeTo(TrackKind.KIND_VIDEO);
    try {
      await withDeadline(
        this.room.connect(url, token, { autoSubscribe: autoSubscribe === 'all', dynacast: false }),
        timeoutMs,
        `no answer within ${timeoutMs} ms`,
      );
    } catch (error) {
      // The url may carry credentials; the token never appears here.
      throw new Error(
        `could not connect to the room at ${redactUrl(url)}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    // Tracks already published when we joined raised no event.
    if (autoSubscribe === 'audio_only') this.#subscribeExisting(TrackKind.KIND_AUDIO);
    if (autoSubscribe === 'video_only') this.#subscribeExisting(TrackKind.KIND_VIDEO);
  }

  #subscribeTo(kind: TrackKind): void {
    this.room.on('trackPublished', (publication: RemoteTrackPublication) => {
      if (publication.kind === kind) publication.setSubscribed(true);
    });
  }

  #subscribeExisting(kind: TrackKind): void {
    for (const participant of this.room.remoteParticipants.values()) {
      for (const publication of participant.trackPublications.values()) {
        if (publication.kind === kind) publication.setSubscribed(true);
      }
    }
  }
}
