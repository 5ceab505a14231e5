import { randomInt } from 'node:crypto';

// The alphabet of LiveKit's ids (shortuuid's base57): no 0/O, 1/l/I, so ids
// read back unambiguously from logs.
const BASE57 = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Prefixes the real server uses, so ids in our logs look like the ones users will see. */
export type IdPrefix = 'AJ_' | 'AW_' | 'AD_' | 'RM_' | 'PA_' | 'TR_' | 'ND_';

/** A LiveKit-style id: the prefix and 12 random base57 characters, e.g. `AJ_x7Vb2kQm9PzR`. */
export function newId(prefix: IdPrefix): string {
  let id = prefix;
  for (let i = 0; i < 12; i++) id += BASE57[randomInt(BASE57.length)];
  return id;
}

/** Now, in the Unix nanoseconds that `JobState` and `AgentDispatchState` carry. */
export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
