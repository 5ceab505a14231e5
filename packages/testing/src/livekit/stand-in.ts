import { type Logger, log, utils } from '@agents/core';
import {
  type AgentDispatch,
  DisconnectReason,
  type JobStatus,
  type ParticipantInfo,
  type Room,
  ServerInfo,
  ServerInfo_Edition,
  type TrackInfo,
} from '@livekit/protocol';
import { AgentEndpoint } from './agent-endpoint.js';
import { Authenticator } from './auth.js';
import { HttpFront } from './http-front.js';
import { newId } from './ids.js';
import { JobDispatcher, type JobInfo } from './jobs.js';
import { type LoggedMessage, MessageLog } from './message-log.js';
import {
  type CreateRoomOptions,
  type LiveKitStandInOptions,
  type MessageWaitOptions,
  type ResolvedOptions,
  type RestartOptions,
  resolveOptions,
  type WaitOptions,
} from './options.js';
import { Playground } from './playground/handler.js';
import { type JoinOptions, type PublishOptions, RoomStore } from './rooms.js';
import { RtcHost } from './rtc/host.js';
import { agentDispatchService, roomService } from './twirp-services.js';
import { Waits } from './waits.js';
import { type WorkerInfo, WorkerPool, workerInfo } from './worker-pool.js';

/** The server version and RTC protocol the stand-in reports: the behaviour modelled is this release's. */
const SERVER_VERSION = '1.13.5';
const RTC_PROTOCOL = 17;
const AGENT_PROTOCOL = 1;
/** A frame that is not a `ServerMessage`: field 1 announced as 127 bytes long, then nothing. */
const MALFORMED_FRAME = Uint8Array.of(0x0a, 0x7f);
/** Frames held for a stalled worker before its connection is cut. */
const MAX_HELD_FRAMES = 1000;
/** Bytes queued in a socket for a worker that stopped reading before it is cut. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export interface LiveKitStandInEvents {
  worker_registered: WorkerInfo;
  worker_disconnected: { worker: WorkerInfo; reason: string };
  /** Every frame exchanged with a worker, as logged. */
  message: LoggedMessage;
  /** A job was created or changed (offered, answered, assigned, updated, terminated). */
  job_updated: JobInfo;
}

/**
 * A stand-in for the parts of a LiveKit server that agent workers talk to:
 * the `/agent` websocket (registration, job offers and assignments, status,
 * termination, simulated jobs), Twirp RoomService and AgentDispatchService,
 * and the API-key auth in front of them, with the real server's rules and
 * status codes (see shared/reference/livekit-agent-protocol.md).
 *
 * Rooms exist only as state: nothing speaks WebRTC. Tests play the users with
 * `addParticipant` / `publishTrack`, which trigger jobs as real joins do, and
 * watch the conversation with `messages()` and the `waitFor...` helpers. Every
 * wait has a deadline; `close()` leaves no timer or socket behind.
 */
export class LiveKitStandIn extends utils.TypedEventEmitter<LiveKitStandInEvents> {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly host: string;
  readonly #options: ResolvedOptions;
  readonly #log: Logger;
  readonly #messages: MessageLog;
  readonly #waits = new Waits();
  readonly #pool = new WorkerPool();
  readonly #rtc: RtcHost;
  readonly #rooms: RoomStore;
  readonly #dispatcher: JobDispatcher;
  readonly #endpoint: AgentEndpoint;
  readonly #front: HttpFront;
  /** Timers of the stand-in itself (connections and offers keep their own). */
  readonly #timers = new Set<NodeJS.Timeout>();
  #port: number;
  #nodeId = newId('ND_');
  #phase: 'running' | 'restarting' | 'closed' = 'running';
  #closing: Promise<void> | undefined;
  /** Ends a restart's downtime early when the server is closed meanwhile. */
  readonly #stop = new AbortController();

  private constructor(options: ResolvedOptions) {
    super();
    this.#options = options;
    this.apiKey = options.apiKey;
    this.apiSecret = options.apiSecret;
    this.host = options.host;
    this.#port = options.port;
    this.#log = log().child({ component: 'livekit-stand-in' });
    this.#messages = new MessageLog(options.messageLogCapacity, (entry) => {
      this.emit('message', entry);
      this.#waits.notify();
    });
    this.#rooms = new RoomStore({
      onTrigger: (trigger) => this.#dispatcher.dispatch(trigger),
      onParticipantLeft: (room, participant) => {
        this.#rtc.participantLeft(room, participant);
        this.#dispatcher.agentLeft(room, participant.identity);
      },
      onParticipantChanged: (room, participant) => this.#rtc.participantChanged(room, participant),
      onChange: () => this.#waits.notify(),
    });
    this.#rtc = new RtcHost(this.#rooms, () => this.#serverInfo());
    this.#dispatcher = new JobDispatcher({
      pool: this.#pool,
      availabilityTimeoutMs: options.availabilityTimeoutMs,
      retryOnAvailabilityTimeout: options.retryOnAvailabilityTimeout,
      simulatedAvailabilityTimeoutMs: options.simulatedAvailabilityTimeoutMs,
      targetLoad: options.targetLoad,
      random: options.random,
      maxJobs: options.maxJobs,
      secretFor: () => this.apiSecret,
      onAssigned: (job) => this.#rooms.recordJob(job.room?.name ?? '', job.dispatchId, job),
      onChange: (job) => {
        this.emit('job_updated', job);
        this.#waits.notify();
      },
    });
    this.#endpoint = new AgentEndpoint({
      pool: this.#pool,
      dispatcher: this.#dispatcher,
      messages: this.#messages,
      limits: {
        registerTimeoutMs: options.registerTimeoutMs,
        pingIntervalMs: options.pingIntervalMs,
        maxHeldFrames: MAX_HELD_FRAMES,
        maxBufferedBytes: MAX_BUFFERED_BYTES,
      },
      serverInfo: () => this.#serverInfo(),
      onRegistered: (worker) => {
        this.emit('worker_registered', workerInfo(worker));
        this.#waits.notify();
      },
      onDisconnected: (worker, reason) => {
        this.emit('worker_disconnected', { worker: workerInfo(worker), reason });
        this.#waits.notify();
      },
      onChange: () => this.#waits.notify(),
    });
    this.#front = new HttpFront({
      auth: new Authenticator(options.apiKey, options.apiSecret),
      services: {
        'livekit.RoomService': roomService(this.#rooms),
        'livekit.AgentDispatchService': agentDispatchService(this.#rooms, (room, id) =>
          this.#deleteDispatch(room, id),
        ),
      },
      accepting: () => this.#phase === 'running',
      onAgentSocket: (ws, apiKey, protocol) => this.#endpoint.open(ws, apiKey, protocol),
      rtc: this.#rtc,
      playground: new Playground(options),
    });
  }

  #serverInfo(): ServerInfo {
    return new ServerInfo({
      edition: ServerInfo_Edition.Standard,
      version: SERVER_VERSION,
      protocol: RTC_PROTOCOL,
      agentProtocol: AGENT_PROTOCOL,
      region: this.#options.region,
      nodeId: this.#nodeId,
    });
  }

  /** Starts a server and resolves once it listens. */
  static async start(options: LiveKitStandInOptions = {}): Promise<LiveKitStandIn> {
    const standIn = new LiveKitStandIn(resolveOptions(options));
    standIn.#port = await standIn.#front.listen(standIn.#port, standIn.host);
    standIn.#log.info({ url: standIn.url }, 'LiveKit stand-in listening');
    return standIn;
  }

  /** Where workers connect, e.g. `ws://127.0.0.1:7880` (they append `/agent`). */
  get url(): string {
    return `ws://${urlHost(this.host)}:${this.#port}`;
  }

  /** The same server for HTTP clients (Twirp), e.g. `http://127.0.0.1:7880`. */
  get httpUrl(): string {
    return `http://${urlHost(this.host)}:${this.#port}`;
  }

  /** The agent CLI's connection flags for this server: `--url`, `--api-key`, `--api-secret`. */
  get cliFlags(): string[] {
    return ['--url', this.url, '--api-key', this.apiKey, '--api-secret', this.apiSecret];
  }

  get port(): number {
    return this.#port;
  }

  /** False while a restart has the listener down, and after `close()`. */
  get listening(): boolean {
    return this.#front.listening;
  }

  // ---- Test controls: what users and their rooms do -------------------------------------

  /** Get-or-create, like the CreateRoom API: a new room requests its room jobs. */
  createRoom(name: string, options: CreateRoomOptions = {}): Room {
    return this.#rooms.create({ ...options, name }).room;
  }

  /** Closes a room; every participant leaves, which ends the jobs of agents in it. */
  deleteRoom(name: string): void {
    this.#rooms.delete(name);
  }

  /** A participant joins (creating the room if needed), requesting participant jobs unless it is an agent or egress. */
  addParticipant(room: string, options: JoinOptions): ParticipantInfo {
    return this.#rooms.join(room, options);
  }

  /** A participant publishes a track; its first requests publisher jobs. */
  publishTrack(room: string, identity: string, options?: PublishOptions): TrackInfo {
    return this.#rooms.publish(room, identity, options);
  }

  /**
   * A publisher mutes or unmutes its track, as its client's MuteTrackRequest
   * does: the others get a participant update with the track's muted flag.
   * rtc-node has no local mute, so tests whose user is rtc-node mute here.
   * False if the participant has no such track.
   */
  setTrackMuted(room: string, identity: string, trackSid: string, muted: boolean): boolean {
    return this.#rooms.setMuted(room, identity, trackSid, muted);
  }

  /** A participant leaves; if it was a job's agent, the job is terminated (`JS_FAILED`). */
  removeParticipant(room: string, identity: string): void {
    this.#rooms.leave(room, identity, DisconnectReason.CLIENT_INITIATED);
  }

  /**
   * The agent of an assigned job joins its room without media, as if its job
   * had connected: with the identity, name, metadata and attributes of its
   * token, and kind `agent`. (A job's own `ctx.connect()` joins for real.)
   */
  joinAgent(jobId: string): ParticipantInfo {
    const job = this.#dispatcher.get(jobId);
    if (!job?.agent) throw new Error(`job ${jobId} is not assigned`);
    const { identity, name, metadata, attributes } = job.agent;
    return this.#rooms.join(job.room, {
      identity,
      name,
      metadata,
      attributes: { ...attributes, 'lk.agent_name': job.agentName },
      kind: 'agent',
    });
  }

  /** Ends a running job from the server side (`JobTermination`, then `JS_SUCCESS`); false if it is not running. */
  terminateJob(jobId: string): boolean {
    return this.#dispatcher.terminate(jobId, 'requested');
  }

  rooms(): Room[] {
    return this.#rooms.list();
  }

  participants(room: string): ParticipantInfo[] {
    return this.#rooms.participants(room);
  }

  dispatches(room: string): AgentDispatch[] {
    return this.#rooms.dispatches(room);
  }

  workers(): WorkerInfo[] {
    return this.#pool.list().map(workerInfo);
  }

  jobs(): JobInfo[] {
    return this.#dispatcher.list();
  }

  job(jobId: string): JobInfo | undefined {
    return this.#dispatcher.get(jobId);
  }

  /** Every frame exchanged with workers, oldest first (at most `messageLogCapacity`). */
  messages(): LoggedMessage[] {
    return this.#messages.entries();
  }

  /** Frames dropped from the log to stay within its capacity. */
  get droppedMessages(): number {
    return this.#messages.dropped;
  }

  // ---- Faults ----------------------------------------------------------------------------

  /** Cuts a worker's connection without a close frame, as a network failure would. */
  dropWorker(workerId: string): void {
    this.#connection(workerId).close('dropped (fault injection)');
  }

  /** The server stops answering this worker: no reads, no pings, replies held until `resumeWorker`. */
  stallWorker(workerId: string): void {
    this.#connection(workerId).stall();
  }

  resumeWorker(workerId: string): void {
    this.#connection(workerId).resume();
  }

  /** Sends the worker a binary frame that does not decode as a `ServerMessage`. */
  sendMalformedFrame(workerId: string, bytes: Uint8Array = MALFORMED_FRAME): void {
    this.#connection(workerId).sendMalformed(bytes);
  }

  /**
   * Stops and starts the server on the same port. Workers are cut off
   * without a close frame and must reconnect and register again (new ids);
   * rooms survive only with `keepRooms`. The message log is kept.
   */
  async restart(options: RestartOptions = {}): Promise<void> {
    if (this.#phase !== 'running')
      throw new Error(`cannot restart a server that is ${this.#phase}`);
    this.#phase = 'restarting';
    this.#log.info({ keepRooms: options.keepRooms ?? false }, 'LiveKit stand-in restarting');
    this.#rtc.close(); // media participants are told the server is going away, and rejoin
    this.#stopServing('server restarting');
    await this.#front.close();
    if (!options.keepRooms) {
      this.#rooms.clear();
      this.#dispatcher.clear();
    }
    this.#waits.notify();
    if (options.downtimeMs)
      await utils.sleep(options.downtimeMs, this.#stop.signal).catch(() => {});
    if (this.#phase !== 'restarting') return; // closed meanwhile
    this.#nodeId = newId('ND_');
    await this.#front.listen(this.#port, this.host);
    if (this.#phase !== 'restarting') {
      await this.#front.close(); // closed while it was starting to listen
      return;
    }
    this.#phase = 'running';
  }

  // ---- Waits -----------------------------------------------------------------------------

  /** Resolves when exactly `count` workers are registered (so it also waits for departures). */
  waitForWorkers(count: number, options: WaitOptions = {}): Promise<WorkerInfo[]> {
    return this.#waits.until(
      () => (this.#pool.size === count ? this.workers() : undefined),
      this.#timeout(options),
      `${count} registered worker(s) (have ${this.#pool.size})`,
    );
  }

  waitForJob(predicate: (job: JobInfo) => boolean, options: WaitOptions = {}): Promise<JobInfo> {
    return this.#waits.until(
      () => this.#dispatcher.list().find(predicate),
      this.#timeout(options),
      'job matching the predicate',
    );
  }

  waitForJobStatus(jobId: string, status: JobStatus, options: WaitOptions = {}): Promise<JobInfo> {
    return this.#waits.until(
      () => {
        const job = this.#dispatcher.get(jobId);
        return job?.status === status ? job : undefined;
      },
      this.#timeout(options),
      `status ${status} for job ${jobId}`,
    );
  }

  /**
   * Resolves with `check()`'s first truthy result, checked now and after every
   * change of state (a frame, a worker, a job, a room or participant).
   */
  waitUntil<T>(
    check: () => T | false | null | undefined,
    options: WaitOptions & { what?: string } = {},
  ): Promise<T> {
    return this.#waits.until(
      () => check() || undefined,
      this.#timeout(options),
      options.what ?? 'condition',
    );
  }

  /** The first logged frame matching `predicate`, already logged or yet to come. */
  waitForMessage(
    predicate: (message: LoggedMessage) => boolean,
    options: MessageWaitOptions = {},
  ): Promise<LoggedMessage> {
    const after = options.after ?? 0;
    return this.#waits.until(
      () => this.#messages.find((m) => m.seq > after && predicate(m)),
      this.#timeout(options),
      'message matching the predicate',
    );
  }

  // ---- Lifecycle -------------------------------------------------------------------------

  /** Stops everything: connections cut, pending waits rejected, timers cleared. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(): Promise<void> {
    this.#phase = 'closed';
    this.#stop.abort();
    this.#waits.close();
    this.#dispatcher.close();
    this.#rtc.close();
    this.#stopServing('server closed');
    await this.#front.close();
    this.#log.info('LiveKit stand-in closed');
  }

  /** Cuts workers and half-open upgrades and cancels pending timers. */
  #stopServing(reason: string): void {
    this.#endpoint.closeAll(reason);
    this.#front.dropUpgrades();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #deleteDispatch(room: string, dispatchId: string): AgentDispatch {
    const dispatch = this.#rooms.removeDispatch(room, dispatchId);
    const agents: string[] = [];
    for (const job of this.#dispatcher.jobsOfDispatch(dispatchId)) {
      if (this.#dispatcher.terminate(job.id, 'requested')) {
        agents.push(job.job.state?.participantIdentity ?? '');
      }
    }
    if (agents.length > 0) {
      // The real server gives the agents a moment to leave on their own, then removes them.
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        for (const identity of agents) {
          if (this.#rooms.hasParticipant(room, identity)) {
            this.#rooms.leave(room, identity, DisconnectReason.PARTICIPANT_REMOVED);
          }
        }
      }, this.#options.dispatchLeaveTimeoutMs);
      this.#timers.add(timer);
    }
    return dispatch;
  }

  #connection(workerId: string) {
    const connection = this.#endpoint.connectionOf(workerId);
    if (!connection) throw new Error(`no connected worker ${workerId}`);
    return connection;
  }

  #timeout(options: WaitOptions): number {
    return options.timeoutMs ?? this.#options.waitTimeoutMs;
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
