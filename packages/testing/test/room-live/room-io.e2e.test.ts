// RoomIO's cases on a real room: rtc-node over WebRTC on the stand-in.
import { afterAll } from 'vitest';
import { roomIOCases } from '../room/cases/room-io.cases.js';
import { liveRoomDriver, stopLiveServer } from './live-driver.js';

afterAll(stopLiveServer);

roomIOCases(liveRoomDriver);
