import type * as protocol from '@livekit/protocol';
import { lazyModule } from '../utils/lazy-module.js';

/**
 * The agent protocol's messages, loaded when a worker first builds or reads one. Every job
 * process imports core through the agent file but never speaks the protocol, and its
 * protobuf classes are a large share of core's import time.
 */
export const loadProtocol = lazyModule<typeof protocol>('@livekit/protocol');
