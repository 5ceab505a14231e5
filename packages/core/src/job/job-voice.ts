import { rtc } from '../audio/rtc.js';
import { log } from '../log.js';
import { errorMessage, withDeadline } from '../utils/deadline.js';
import type { ParticipantLinkEvents, VoiceIO } from '../voice/io.js';
import { leftForGood, RoomIO, type RoomIOOptions } from '../voice/room/room-io.js';
import type { RoomSurface } from '../voice/room/surface.js';

/** What a job does when the participant its assistant listens to leaves. */
export interface JobVoiceOptions extends RoomIOOptions {
  /**
   * End the job when the linked participant leaves and nobody else is
   * linked (default true): at once if they hung up, were removed or the room
   * was deleted; after `rejoinTimeoutMs` if they dropped and did not return.
   */
  closeOnParticipantLeave?: boolean;
  /** How long a participant who dropped (not hung up) may take to come back (default 30 s). */
  rejoinTimeoutMs?: number;
}

/** An assistant as the job sees it: something to close when the job ends. */
export interface ClosableAssistant {
  close(): Promise<void>;
}

const DEFAULT_REJOIN_TIMEOUT_MS = 30_000;
/** Assistants get this long to close (their own close is bounded at ~5 s). */
const ASSISTANT_CLOSE_MS = 5_000;
/** Bindings get this long to close (bounded at ~3 s themselves). */
const BINDING_CLOSE_MS = 3_000;

/**
 * The voice side of a room job: the room bindings `ctx.voiceIO()` made, the
 * assistants started on the job, and the rule that ends the job when the
 * user leaves. The job's teardown calls `close()` before anything else, so
 * assistants stop using the models and the room while both still work.
 */
export class JobVoice {
  readonly #room: RoomSurface;
  readonly #shutdown: (reason: string) => void;
  readonly #bindings = new Set<RoomIO>();
  readonly #assistants = new Set<ClosableAssistant>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(room: RoomSurface, shutdown: (reason: string) => void) {
    this.#room = room;
    this.#shutdown = shutdown;
  }

  async binding(identity: string | undefined, options: JobVoiceOptions = {}): Promise<VoiceIO> {
    if (this.#closed) throw new Error('ctx.voiceIO(): the job is ending');
    if (!this.#room.isConnected) {
      throw new Error(
        'ctx.voiceIO() needs the room: call `await ctx.connect()` before starting the assistant',
      );
    }
    const { closeOnParticipantLeave = true, rejoinTimeoutMs, ...roomOptions } = options;
    const io = await RoomIO.create(this.#room, { ...roomOptions, participantIdentity: identity });
    if (this.#closed) {
      await io.close();
      throw new Error('ctx.voiceIO(): the job ended while the binding was being made');
    }
    this.#bindings.add(io);
    if (closeOnParticipantLeave) {
      this.#endWhenLeft(io, rejoinTimeoutMs ?? DEFAULT_REJOIN_TIMEOUT_MS);
    }
    return io;
  }

  track(assistant: ClosableAssistant): void {
    this.#assistants.add(assistant);
  }

  /** Closes the assistants, then the bindings, each within its deadline. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(
      [...this.#assistants].map((a) => bounded(a.close(), ASSISTANT_CLOSE_MS, 'an assistant')),
    );
    await Promise.all(
      [...this.#bindings].map((b) => bounded(b.close(), BINDING_CLOSE_MS, 'a room binding')),
    );
  }

  #endWhenLeft(io: RoomIO, rejoinTimeoutMs: number): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cancel = () => {
      if (timer) this.#timers.delete(timer);
      clearTimeout(timer);
      timer = undefined;
    };
    io.on('participant_linked', cancel);
    io.on('participant_unlinked', (event: ParticipantLinkEvents['participant_unlinked']) => {
      if (event.reason !== 'left' || this.#closed) return;
      // Decided once the binding is done with the event: it may link the next
      // participant already present, and then the job goes on with them.
      setImmediate(() => {
        if (io.linkedIdentity !== undefined || this.#closed) return;
        const { DisconnectReason } = rtc();
        const how = DisconnectReason[event.disconnectReason ?? DisconnectReason.UNKNOWN_REASON];
        const why = `the participant "${event.identity}" left (${how})`;
        if (leftForGood(event.disconnectReason)) {
          this.#shutdown(why);
          return;
        }
        cancel();
        timer = setTimeout(() => {
          this.#timers.delete(timer as ReturnType<typeof setTimeout>);
          if (io.linkedIdentity === undefined && !this.#closed) {
            this.#shutdown(`${why} and nobody joined within ${rejoinTimeoutMs} ms`);
          }
        }, rejoinTimeoutMs);
        this.#timers.add(timer);
      });
    });
  }
}

async function bounded(closing: Promise<void>, ms: number, what: string): Promise<void> {
  try {
    await withDeadline(closing, ms, `${what} did not close within ${ms} ms`);
  } catch (error) {
    log().warn(`closing the job's voice: ${errorMessage(error)}`);
  }
}
