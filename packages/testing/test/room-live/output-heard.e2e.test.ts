// RoomAudioOutput's room-independent cases on a real room: rtc-node over WebRTC on the stand-in.
import { afterAll } from 'vitest';
import { outputCases } from '../room/cases/output.cases.js';
import { liveRoomDriver, stopLiveServer } from './live-driver.js';

afterAll(stopLiveServer);

outputCases(liveRoomDriver);
