import { ElevenLabsStandIn, type ElevenLabsStandInOptions } from '../elevenlabs/stand-in.js';
import type { ServiceControl } from './types.js';

export interface ElevenLabsServiceControl extends ServiceControl {
  /** The stand-in itself, for registering audio or arming other faults. */
  readonly standIn: ElevenLabsStandIn;
}

/**
 * Our ElevenLabs stand-in as a conformance service: `url` is its root (point
 * the plugin at `${url}/v1`), connections are its websockets, requests are its
 * open synthesis contexts and HTTP exchanges.
 */
export async function elevenlabsService(
  options: ElevenLabsStandInOptions = {},
): Promise<ElevenLabsServiceControl> {
  const standIn = await ElevenLabsStandIn.start(options);
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
