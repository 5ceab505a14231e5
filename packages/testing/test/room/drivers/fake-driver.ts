// The driver over FakeRoom: every step is synchronous there, so it resolves at once.
import { type AudioStream, DisconnectReason } from '@livekit/rtc-node';
import { FakeRoom } from '../../../src/index.js';
import type { DriverKind, RemoteMic, RemoteUser, RoomDriver } from './driver.js';

export const fakeRoomDriver: DriverKind = {
  name: 'FakeRoom',
  cannot: {},
  async create(options = {}) {
    const room = new FakeRoom({ autoSubscribe: options.autoSubscribe });
    const driver: RoomDriver = {
      room,
      async join(identity, joinOptions = {}): Promise<RemoteUser> {
        const participant = room.join(identity, joinOptions);
        // A real user joins with autoSubscribe: the agent's tracks get a subscriber.
        room.subscribeAgent();
        return {
          identity,
          // FakeRoom delivers every transcription to everyone.
          get transcriptions() {
            return room.transcriptions.map((t) => t.transcription);
          },
          async publishMicrophone(micOptions = {}): Promise<RemoteMic> {
            const mic = participant.publishMicrophone(micOptions);
            return {
              get sid() {
                return mic.publication.sid;
              },
              play: (pcm, playOptions) => mic.play(pcm, playOptions),
              mute: async () => mic.mute(),
              unmute: async () => mic.unmute(),
              unpublish: () => mic.unpublish(),
            };
          },
          async hearAgent(hearOptions = {}): Promise<AudioStream> {
            return room.listenToAgent(hearOptions);
          },
          async leave(reason = DisconnectReason.CLIENT_INITIATED) {
            participant.leave(reason);
          },
        };
      },
      async closeRoom() {
        room.close(DisconnectReason.ROOM_DELETED);
      },
      simulateReconnect: (mode) => room.simulateReconnect(mode),
      dispose: () => room.dispose(),
    };
    return driver;
  },
};
