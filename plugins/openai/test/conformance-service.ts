import { type OpenAIEndpoint, OpenAIStandIn } from '@agents/testing';
import type { ServiceControl } from '@agents/testing/conformance';

export const KEY = 'sk-conformance';
export const connectOptions = { maxRetry: 2, retryIntervalMs: 10, timeoutMs: 5000 };

/** The OpenAI stand-in as a conformance service; `failNext` fails `endpoint`. */
export async function standInService(
  endpoint: OpenAIEndpoint,
): Promise<ServiceControl & { standIn: OpenAIStandIn }> {
  const standIn = await OpenAIStandIn.start({ apiKey: KEY });
  return {
    standIn,
    url: standIn.url,
    // The requests still being answered: an HTTP client's connections are its pool's business.
    openConnections: () => standIn.requests.filter((r) => r.outcome === 'pending').length,
    failNext: (status, times = 1) =>
      void standIn.injectFault(endpoint, { kind: 'status', status }, times),
    close: () => standIn.close(),
  };
}
