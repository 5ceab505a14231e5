import { voice } from '@agents/core';
import { DisconnectReason } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { roomIOCases } from './cases/room-io.cases.js';
import { fakeRoomDriver } from './drivers/fake-driver.js';

roomIOCases(fakeRoomDriver);

// Needs no room: runs once, here.
describe('RoomIO', () => {
  it('leftForGood: hung up, removed, room gone, SIP call over; not network trouble or unknown', () => {
    const forGood = [
      DisconnectReason.CLIENT_INITIATED,
      DisconnectReason.PARTICIPANT_REMOVED,
      DisconnectReason.ROOM_DELETED,
      DisconnectReason.ROOM_CLOSED,
      DisconnectReason.USER_REJECTED,
      DisconnectReason.USER_UNAVAILABLE,
      DisconnectReason.SIP_TRUNK_FAILURE,
    ];
    for (const reason of forGood) expect(voice.leftForGood(reason)).toBe(true);
    for (const reason of [
      undefined,
      DisconnectReason.UNKNOWN_REASON,
      DisconnectReason.DUPLICATE_IDENTITY,
      DisconnectReason.SIGNAL_CLOSE,
      DisconnectReason.CONNECTION_TIMEOUT,
      DisconnectReason.MEDIA_FAILURE,
      DisconnectReason.SERVER_SHUTDOWN,
      DisconnectReason.MIGRATION,
    ]) {
      expect(voice.leftForGood(reason)).toBe(false);
    }
  });
});
