import { ElevenLabsStandIn, type ElevenLabsStandInOptions } from '../elevenlabs/stand-in.js';
import type { ServiceControl } from './types.js';

export interface ElevenLabsServiceControl extends ServiceControl {
  /** The stand-in itself, for registering audio or arming other faults. */
  readonly standIn: ElevenLabsStandIn;
}

/**
 * Our ElevenLabs stand-in as a conformance service (it logs no audio unless
 * `logAudio` is set): `url` is its root (point
 * the plugin at `${url}/v1`), connections are its websockets, requests are its
 * open synthesis contexts and HTTP exchanges.
 */
export async function elevenlabsService(
  options: ElevenLabsStandInOptions = {},
): Promise<ElevenLabsServiceControl> {
  // The long-stream check measures this process's memory, the stand-in's log included.
  const standIn = await ElevenLabsStandIn.start({ logAudio: false, ...options });
  return {
    standIn,
    url: standIn.url,
    openConnections: () => standIn.openConnectionCount(),
    openRequests: () => standIn.openRequestCount(),
    dropConnections: () => standIn.dropConnections(),
    failNext: (status, times = 1) => {
      standIn.injectFault('status', { status, times });
    },
    close: () => standIn.close(),
  };
}
