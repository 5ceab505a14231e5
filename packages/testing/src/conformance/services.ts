import { DeepgramStandIn } from '../deepgram/stand-in.js';
import type { OpenAIEndpoint } from '../openai/index.js';
import { OpenAIStandIn } from '../openai/stand-in.js';
import type { ServiceControl } from './types.js';

/** A ServiceControl over one of our stand-ins, with the stand-in itself for extra scripting. */
export interface StandInControl<StandIn> extends ServiceControl {
  readonly standIn: StandIn;
  /** The key the stand-in accepts. */
  readonly apiKey: string;
  dropConnections(): void;
  failNext(status: number, times?: number): void;
}

/** How each stand-in is given the fixture's words (see `scriptTranscripts`). */
const scripters = new WeakMap<ServiceControl, (utterances: readonly string[]) => void>();

/**
 * An STT suite's `prepare` for our stand-ins: the Deepgram stand-in takes one
 * transcript per speech region; the OpenAI one answers a whole request with
 * one transcript, so the utterances are joined.
 */
export function scriptTranscripts(service: ServiceControl, utterances: readonly string[]): void {
  const script = scripters.get(service);
  if (!script) {
    throw new TypeError(
      'scriptTranscripts() takes a service made by deepgramService() or openaiService()',
    );
  }
  script(utterances);
}

/** The Deepgram stand-in (live websocket and pre-recorded REST), for `service` in the STT suite. */
export async function deepgramService(
  apiKey = 'dg-conformance',
): Promise<StandInControl<DeepgramStandIn>> {
  const standIn = await DeepgramStandIn.start({ apiKey });
  const control: StandInControl<DeepgramStandIn> = {
    standIn,
    apiKey,
    url: standIn.url,
    openConnections: () => standIn.openConnectionCount(),
    dropConnections: () => standIn.dropConnections(),
    failNext: (status, times = 1) => void standIn.injectFault('status', { status, times }),
    close: () => standIn.close(),
  };
  scripters.set(control, (utterances) => void standIn.scriptTranscripts(...utterances));
  return control;
}

/**
 * The OpenAI stand-in; `endpoint` is the one `failNext` fails (transcriptions
 * for STT). Open connections are the requests still being answered.
 */
export async function openaiService(
  endpoint: OpenAIEndpoint = 'transcriptions',
  apiKey = 'sk-conformance',
): Promise<StandInControl<OpenAIStandIn>> {
  const standIn = await OpenAIStandIn.start({ apiKey });
  const control: StandInControl<OpenAIStandIn> = {
    standIn,
    apiKey,
    url: standIn.url,
    openConnections: () => standIn.requests.filter((r) => r.outcome === 'pending').length,
    dropConnections: () => standIn.dropConnections(),
    failNext: (status, times = 1) =>
      void standIn.injectFault(endpoint, { kind: 'status', status }, times),
    close: () => standIn.close(),
  };
  scripters.set(
    control,
    (utterances) => void standIn.scriptTranscription({ text: utterances.join(' ') }),
  );
  return control;
}
