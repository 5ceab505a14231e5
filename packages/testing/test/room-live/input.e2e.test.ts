// RoomAudioInput's cases on a real room: rtc-node over WebRTC on the stand-in.
import { afterAll } from 'vitest';
import { inputCases } from '../room/cases/input.cases.js';
import { liveRoomDriver, stopLiveServer } from './live-driver.js';

afterAll(stopLiveServer);

inputCases(liveRoomDriver);
