// The driver over a real room on the LiveKit stand-in: the agent is an rtc-node
// Room connected with an agent token, each user another rtc-node Room. Steps
// resolve when the agent's Room has emitted the matching event, read from a log
// of its events so one that came before the wait began still counts.
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  DisconnectReason,
  LocalAudioTrack,
  ParticipantKind,
  type RemoteTrack,
  Room,
  SimulateScenarioKind,
  TrackPublishOptions,
  TrackSource,
  type Transcription,
} from '@livekit/rtc-node';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { LiveKitStandIn, scaledMs } from '../../src/index.js';
import { onTranscriptionReceived } from '../../src/livekit/simulated-user.js';
import type {
  DriverKind,
  DriverRoom,
  RemoteMic,
  RemoteUser,
  RoomDriver,
} from '../room/drivers/driver.js';

const AGENT = 'agent';
const RATE = 48000;
const TOKEN_KIND: Partial<Record<ParticipantKind, string>> = {
  [ParticipantKind.AGENT]: 'agent',
  [ParticipantKind.EGRESS]: 'egress',
  [ParticipantKind.INGRESS]: 'ingress',
  [ParticipantKind.SIP]: 'sip',
};

let server: Promise<LiveKitStandIn> | undefined;
let roomCount = 0;

/** Closes the stand-in the drivers of this file shared (call in afterAll). */
export async function stopLiveServer(): Promise<void> {
  const running = server;
  server = undefined;
  await (await running)?.close();
}

async function token(
  standIn: LiveKitStandIn,
  room: string,
  identity: string,
  kind?: ParticipantKind,
): Promise<string> {
  const at = new AccessToken(standIn.apiKey, standIn.apiSecret, { identity });
  const tokenKind = kind === undefined ? undefined : TOKEN_KIND[kind];
  if (tokenKind) at.kind = tokenKind;
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
  return at.toJwt();
}

type Entry = { event: string; identity?: string; sid?: string };

/** The agent Room's events, in order, with waits on them. */
class AgentLog {
  readonly entries: Entry[] = [];
  readonly #wakers = new Set<() => void>();

  constructor(room: Room) {
    const add = (entry: Entry) => {
      this.entries.push(entry);
      for (const wake of [...this.#wakers]) wake();
    };
    type P = { identity: string };
    type Pub = { sid?: string };
    room.on('participantConnected', (p: P) => add({ event: 'connected', identity: p.identity }));
    room.on('participantDisconnected', (p: P) =>
      add({ event: 'disconnected', identity: p.identity }),
    );
    for (const event of ['trackPublished', 'trackUnpublished', 'trackMuted', 'trackUnmuted']) {
      room.on(event as 'trackMuted', (pub: Pub, p: P) =>
        add({ event, identity: p.identity, sid: pub.sid }),
      );
    }
    room.on('disconnected', () => add({ event: 'room closed' }));
    room.on('reconnected', () => add({ event: 'reconnected' }));
  }

  /** Resolves once an entry matching `want` is logged at `from` or later. */
  async until(from: number, want: Entry, ms = 15_000): Promise<void> {
    const match = (e: Entry) =>
      e.event === want.event &&
      (want.identity === undefined || e.identity === want.identity) &&
      (want.sid === undefined || e.sid === want.sid);
    if (this.entries.slice(from).some(match)) return;
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        if (!this.entries.slice(from).some(match)) return;
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#wakers.delete(wake);
        reject(
          new Error(`the agent's room saw no ${JSON.stringify(want)} within ${scaledMs(ms)} ms`),
        );
      }, scaledMs(ms));
      this.#wakers.add(wake);
    });
  }
}

class LiveUser implements RemoteUser {
  readonly transcriptions: Transcription[] = [];
  readonly #sources: AudioSource[] = [];
  readonly #tracks: LocalAudioTrack[] = [];
  readonly #stopListening: () => void;
  #gone = false;

  constructor(
    readonly identity: string,
    readonly room: Room,
    readonly driver: LiveDriver,
  ) {
    this.#stopListening = onTranscriptionReceived(room, (t) => this.transcriptions.push(t));
  }

  async publishMicrophone(options: { source?: TrackSource } = {}): Promise<RemoteMic> {
    const source = new AudioSource(RATE, 1, 200);
    const track = LocalAudioTrack.createAudioTrack('microphone', source);
    this.#sources.push(source);
    this.#tracks.push(track);
    const publishOptions = new TrackPublishOptions();
    publishOptions.source = options.source ?? TrackSource.SOURCE_MICROPHONE;
    const from = this.driver.log.entries.length;
    const local = this.room.localParticipant;
    if (!local) throw new Error(`${this.identity} is not connected`);
    const publication = await local.publishTrack(track, publishOptions);
    const sid = publication.sid;
    if (!sid) throw new Error('rtc-node gave the publication no sid');
    await this.driver.log.until(from, { event: 'trackPublished', sid });
    const driver = this.driver;
    const identity = this.identity;
    let muted = false;
    let published = true;
    const setMuted = async (value: boolean) => {
      const mark = driver.log.entries.length;
      muted = value;
      if (!driver.server.setTrackMuted(driver.name, identity, sid, value)) {
        throw new Error(`the stand-in has no track ${sid} of ${identity} to mute`);
      }
      await driver.log.until(mark, { event: value ? 'trackMuted' : 'trackUnmuted', sid });
    };
    return {
      sid,
      async play(pcm, playOptions = {}) {
        const step = RATE / 100;
        for (let at = 0; at < pcm.length; at += step) {
          if (playOptions.signal?.aborted || !published || source.closed) return;
          const part = muted
            ? new Int16Array(Math.min(step, pcm.length - at))
            : pcm.slice(at, at + step);
          try {
            await source.captureFrame(new AudioFrame(part, RATE, 1, part.length));
          } catch (error) {
            if (source.closed || !published) return;
            throw error;
          }
        }
      },
      mute: () => setMuted(true),
      unmute: () => setMuted(false),
      async unpublish() {
        if (!published) return;
        published = false;
        const mark = driver.log.entries.length;
        await local.unpublishTrack(sid);
        await driver.log.until(mark, { event: 'trackUnpublished', sid });
      },
    };
  }

  async hearAgent(options: { sampleRate?: number } = {}): Promise<AudioStream> {
    const subscribed = (): RemoteTrack | undefined => {
      const agent = this.room.remoteParticipants.get(AGENT);
      for (const publication of agent?.trackPublications.values() ?? []) {
        if (publication.track) return publication.track;
      }
      return undefined;
    };
    const deadline = performance.now() + scaledMs(15_000);
    let track = subscribed();
    while (!track) {
      if (performance.now() > deadline) {
        throw new Error(
          `${this.identity} was not subscribed to the agent's track within ${scaledMs(15_000)} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, deadline - performance.now()));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.room.once('trackSubscribed', done);
      });
      track = subscribed();
    }
    return new AudioStream(track, {
      sampleRate: options.sampleRate ?? 24000,
      numChannels: 1,
      frameSizeMs: 10,
    });
  }

  async leave(reason: DisconnectReason = DisconnectReason.CLIENT_INITIATED): Promise<void> {
    if (this.#gone) return;
    const mark = this.driver.log.entries.length;
    if (reason === DisconnectReason.CLIENT_INITIATED) await this.room.disconnect();
    else if (reason === DisconnectReason.PARTICIPANT_REMOVED) {
      await this.driver.twirp.removeParticipant(this.driver.name, this.identity);
    } else {
      throw new Error(
        `an rtc-node user cannot leave with ${DisconnectReason[reason]} on the stand-in`,
      );
    }
    this.#gone = true;
    await this.driver.log.until(mark, { event: 'disconnected', identity: this.identity });
    // Not awaited here: a body reads the agent's audio right after leave(), as after FakeRoom's; dispose() waits.
    this.closing = this.close();
  }

  closing: Promise<void> | undefined;

  async close(): Promise<void> {
    this.#gone = true;
    this.#stopListening();
    await this.room.disconnect();
    for (const track of this.#tracks.splice(0)) await track.close(false);
    for (const source of this.#sources.splice(0)) await source.close();
  }
}

class LiveDriver implements RoomDriver {
  readonly log: AgentLog;
  readonly twirp: RoomServiceClient;
  readonly #users: LiveUser[] = [];

  constructor(
    readonly server: LiveKitStandIn,
    readonly name: string,
    readonly agent: Room,
  ) {
    this.log = new AgentLog(agent);
    this.twirp = new RoomServiceClient(server.httpUrl, server.apiKey, server.apiSecret);
  }

  get room(): DriverRoom {
    return this.agent as unknown as DriverRoom;
  }

  async join(identity: string, options: { kind?: ParticipantKind } = {}): Promise<RemoteUser> {
    const mark = this.log.entries.length;
    const room = new Room();
    await room.connect(
      this.server.url,
      await token(this.server, this.name, identity, options.kind),
      {
        autoSubscribe: true,
        dynacast: false,
      },
    );
    const user = new LiveUser(identity, room, this);
    this.#users.push(user);
    await this.log.until(mark, { event: 'connected', identity });
    return user;
  }

  async closeRoom(): Promise<void> {
    const mark = this.log.entries.length;
    await this.twirp.deleteRoom(this.name);
    await this.log.until(mark, { event: 'room closed' });
  }

  /** rtc-node's own chaos hook: 'media' drops the signal channel (a resume), 'full' asks for a full reconnect. */
  async simulateReconnect(mode: 'media' | 'full'): Promise<void> {
    const mark = this.log.entries.length;
    await this.agent.simulateScenario(
      mode === 'full'
        ? SimulateScenarioKind.SIMULATE_FULL_RECONNECT
        : SimulateScenarioKind.SIMULATE_SIGNAL_RECONNECT,
    );
    await this.log.until(mark, { event: 'reconnected' });
  }

  async dispose(): Promise<void> {
    for (const user of this.#users.splice(0)) await (user.closing ?? user.close());
    await this.agent.disconnect();
    this.agent.removeAllListeners();
  }
}

export const liveRoomDriver: DriverKind = {
  name: 'the stand-in',
  cannot: {
    resume:
      "the stand-in has no resume: rtc-node's signal reconnect ends in a full reconnect there (the full case runs)",
  },
  async create(options = {}) {
    server ??= LiveKitStandIn.start();
    const standIn = await server;
    const name = `binding-${++roomCount}`;
    const agent = new Room();
    await agent.connect(standIn.url, await token(standIn, name, AGENT, ParticipantKind.AGENT), {
      autoSubscribe: options.autoSubscribe ?? true,
      dynacast: false,
    });
    return new LiveDriver(standIn, name, agent);
  },
};
