// The transcription cases on a real room: published by the agent's rtc-node, relayed by the stand-in, received by a user's.
import { afterAll } from 'vitest';
import { transcriptionCases } from '../room/cases/transcription.cases.js';
import { liveRoomDriver, stopLiveServer } from './live-driver.js';

afterAll(stopLiveServer);

transcriptionCases(liveRoomDriver);
