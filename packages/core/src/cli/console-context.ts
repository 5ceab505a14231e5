import { Job, Room as RoomInfo } from '@livekit/protocol';
import { ParticipantKind, type RemoteParticipant, Room } from '@livekit/rtc-node';
import type { JobProcess } from '../job/agent.js';
import {
  type ConnectOptions,
  JobContext,
  type ShutdownCallback,
  type VoiceAssistantLike,
  type WaitForParticipantOptions,
} from '../job/job-context.js';
import type { VoiceIO } from '../voice/io.js';

export const CONSOLE_IDENTITY = 'console-user';

export interface ConsoleJobParts {
  proc: JobProcess;
  io: VoiceIO;
  ending: AbortSignal;
  shutdownCallbacks: ShutdownCallback[];
  requestShutdown: (reason: string) => void;
  onAssistantStarted: (assistant: VoiceAssistantLike) => void;
}

/**
 * The JobContext of the `console` command, so an agent file written for rooms
 * runs unchanged: `connect()` resolves at once, `waitForParticipant()` gives
 * the console's user, and `voiceIO()` is the file binding. `ctx.room` is a
 * Room that never connects: room features (data messages, other tracks,
 * participant attributes) are not available in console mode.
 */
export class ConsoleJobContext extends JobContext {
  constructor(parts: ConsoleJobParts) {
    super({
      info: {
        job: new Job({ id: 'console', room: new RoomInfo({ name: 'console', sid: 'RM_console' }) }),
        url: '',
        token: '',
        acceptArguments: { identity: 'agent', name: 'agent', metadata: '', attributes: {} },
        workerId: 'console',
      },
      proc: parts.proc,
      room: new Room(),
      ending: parts.ending,
      shutdownCallbacks: parts.shutdownCallbacks,
      requestShutdown: parts.requestShutdown,
      voiceIO: async () => parts.io,
      onAssistantStarted: parts.onAssistantStarted,
    });
  }

  /** Nothing to join in console mode. */
  override connect(_options?: ConnectOptions): Promise<void> {
    return Promise.resolve();
  }

  /** The console's user (the input file), whatever identity was asked for. */
  override waitForParticipant(
    identity?: string,
    _options?: WaitForParticipantOptions,
  ): Promise<RemoteParticipant> {
    return Promise.resolve(consoleParticipant(identity ?? CONSOLE_IDENTITY));
  }
}

/**
 * Stands for the person in the input file. Not a real RemoteParticipant (that
 * needs a connected room): it has the identity fields and no tracks.
 */
function consoleParticipant(identity: string): RemoteParticipant {
  const participant = {
    sid: 'PA_console',
    identity,
    name: 'Console user',
    metadata: '',
    attributes: {},
    kind: ParticipantKind.STANDARD,
    trackPublications: new Map(),
  };
  return participant as unknown as RemoteParticipant;
}
