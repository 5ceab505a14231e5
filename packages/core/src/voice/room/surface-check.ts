// Compile-time proof that rtc-node's Room fits the surface the binding uses:
// if rtc-node changes a member the binding relies on, the build fails here.
import type { Room } from '@livekit/rtc-node';
import type { RoomSurface } from './surface.js';

type Fits<T extends RoomSurface> = T;
export type RtcNodeRoomFitsSurface = Fits<Room>;
