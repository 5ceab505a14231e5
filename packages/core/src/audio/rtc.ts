import type * as RtcNode from '@livekit/rtc-node';
import type { AudioFrame } from '@livekit/rtc-node';
import { lazyModule } from '../utils/lazy-module.js';

/**
 * `@livekit/rtc-node`, loaded on the first call. It is most of what `import '@agents/core'`
 * would cost (its native addon, its protobuf tables, its own pino), and code that only
 * defines an agent, or a job process before its first frame, needs none of it. The
 * instance is the one the user's `import` gets, so `instanceof AudioFrame` holds across
 * core and user code. Module-level code must not call this: that would undo the point.
 */
export const rtc: () => typeof RtcNode = lazyModule<typeof RtcNode>('@livekit/rtc-node');

/** `new AudioFrame(...)` without loading rtc-node before the first frame is made. */
export function newAudioFrame(
  data: Int16Array,
  sampleRate: number,
  channels: number,
  samplesPerChannel: number,
): AudioFrame {
  return new (rtc().AudioFrame)(data, sampleRate, channels, samplesPerChannel);
}
