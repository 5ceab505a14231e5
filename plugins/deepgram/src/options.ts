import { plugin } from '@agents/core';

/** Deepgram's speech models; any other model name the service knows works too. */
export type STTModel =
  | 'nova-3'
  | 'nova-3-general'
  | 'nova-3-medical'
  | 'nova-2'
  | 'nova-2-general'
  | 'nova-2-meeting'
  | 'nova-2-phonecall'
  | 'nova-2-conversationalai'
  | 'nova-2-medical'
  | (string & {});

export interface STTOptions {
  /** Default `nova-3`. */
  model?: STTModel;
  /** BCP-47 code (`en-US`, `fr`), or `multi` for nova-3's multilingual mode. Default `en-US`. */
  language?: string;
  /** Report INTERIM_TRANSCRIPT events while the user speaks. Default true. */
  interimResults?: boolean;
  /** Default true. */
  punctuate?: boolean;
  /** Numbers, dates, currencies written as such. Default true. */
  smartFormat?: boolean;
  /**
   * Silence (ms) after which Deepgram ends an utterance (END_OF_SPEECH). Default 25;
   * `false` turns endpointing off: utterances then end on `utteranceEndMs` or `flush()` only.
   */
  endpointingMs?: number | false;
  /**
   * Also end an utterance after this gap (ms) since the last word, even in noise that
   * keeps endpointing from firing. Needs `interimResults`. Default: off.
   */
  utteranceEndMs?: number;
  /** Transcribe "uh", "um". Default: the service's (off). */
  fillerWords?: boolean;
  /** Words and phrases to recognize better (names, jargon). nova-3 models only. */
  keyterms?: readonly string[];
  /** Default: the service's (off). */
  profanityFilter?: boolean;
  /** Rate of the audio sent (pushed frames are converted to it, mono). Default 16000. */
  sampleRate?: number;
  /** Default: `DEEPGRAM_API_KEY` from the environment. */
  apiKey?: string;
  /** Another host (a proxy, a stand-in). Default `https://api.deepgram.com`. */
  baseURL?: string;
  /** Retries and the deadline of each connect and request. */
  connectOptions?: Partial<plugin.APIConnectOptions>;
  /**
   * How long a stream may send nothing before a KeepAlive is sent. Default 5000, half
   * of Deepgram's 10 s idle timeout; lower it behind a proxy that times out sooner.
   */
  keepaliveIntervalMs?: number;
}

/** What can change with `updateOptions()`: everything but the key, the host and the transport. */
export type UpdatableOptions = Pick<
  STTOptions,
  | 'model'
  | 'language'
  | 'interimResults'
  | 'punctuate'
  | 'smartFormat'
  | 'endpointingMs'
  | 'utteranceEndMs'
  | 'fillerWords'
  | 'keyterms'
  | 'profanityFilter'
>;

export interface ResolvedOptions {
  model: string;
  language: string;
  interimResults: boolean;
  punctuate: boolean;
  smartFormat: boolean;
  endpointingMs: number | false;
  utteranceEndMs: number | undefined;
  fillerWords: boolean | undefined;
  keyterms: readonly string[];
  profanityFilter: boolean | undefined;
  sampleRate: number;
  apiKey: string;
  baseURL: URL;
  connectOptions: plugin.APIConnectOptions;
  keepaliveIntervalMs: number;
}

const DEFAULT_BASE_URL = 'https://api.deepgram.com';
const UPDATABLE = new Set<string>([
  'model',
  'language',
  'interimResults',
  'punctuate',
  'smartFormat',
  'endpointingMs',
  'utteranceEndMs',
  'fillerWords',
  'keyterms',
  'profanityFilter',
]);

/**
 * Fills defaults and checks every option, so that a mistake fails when the STT is
 * created, naming the option, rather than as a refused connection mid-conversation.
 */
export function resolveOptions(options: STTOptions, label: string): ResolvedOptions {
  const fail = (message: string): never => {
    throw new TypeError(`${label}: ${message}`);
  };
  if ('keywords' in options) {
    fail('there is no keywords option: nova-3 models take keyterms (plain words or phrases)');
  }
  const apiKey = options.apiKey ?? process.env.DEEPGRAM_API_KEY;
  if (!apiKey) fail('no Deepgram API key: set DEEPGRAM_API_KEY or pass the apiKey option');
  const resolved: ResolvedOptions = {
    model: options.model ?? 'nova-3',
    language: options.language ?? 'en-US',
    interimResults: options.interimResults ?? true,
    punctuate: options.punctuate ?? true,
    smartFormat: options.smartFormat ?? true,
    endpointingMs: options.endpointingMs ?? 25,
    utteranceEndMs: options.utteranceEndMs,
    fillerWords: options.fillerWords,
    keyterms: options.keyterms ?? [],
    profanityFilter: options.profanityFilter,
    sampleRate: options.sampleRate ?? 16_000,
    apiKey: apiKey as string,
    baseURL: parseBaseURL(options.baseURL ?? DEFAULT_BASE_URL, fail),
    connectOptions: plugin.resolveConnectOptions(options.connectOptions),
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5000,
  };
  checkResolved(resolved, fail);
  return resolved;
}

/** The options after `update`, checked as a whole (a new model may not take the old keyterms). */
export function updateOptions(
  current: ResolvedOptions,
  update: UpdatableOptions,
  label: string,
): ResolvedOptions {
  const fail = (message: string): never => {
    throw new TypeError(`${label}.updateOptions: ${message}`);
  };
  for (const key of Object.keys(update)) {
    if (!UPDATABLE.has(key)) {
      fail(
        `${key} cannot change after creation; create another STT (updatable: ${[...UPDATABLE].join(', ')})`,
      );
    }
  }
  const defined = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
  const next: ResolvedOptions = { ...current, ...defined };
  checkResolved(next, fail);
  return next;
}

function checkResolved(o: ResolvedOptions, fail: (message: string) => never): void {
  for (const key of ['model', 'language'] as const) {
    if (typeof o[key] !== 'string' || o[key].trim() === '')
      fail(`${key} must be a non-empty string`);
  }
  for (const key of ['interimResults', 'punctuate', 'smartFormat'] as const) {
    if (typeof o[key] !== 'boolean') fail(`${key} must be true or false (got ${String(o[key])})`);
  }
  for (const key of ['fillerWords', 'profanityFilter'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      fail(`${key} must be true or false (got ${String(o[key])})`);
    }
  }
  if (o.endpointingMs !== false && !isWholeNumber(o.endpointingMs, 0)) {
    fail(
      `endpointingMs must be a whole number of ms >= 0, or false (got ${String(o.endpointingMs)})`,
    );
  }
  if (o.utteranceEndMs !== undefined) {
    if (!isWholeNumber(o.utteranceEndMs, 1)) {
      fail(`utteranceEndMs must be a whole number of ms > 0 (got ${String(o.utteranceEndMs)})`);
    }
    if (!o.interimResults) {
      fail('utteranceEndMs needs interimResults: Deepgram detects the gap from interim results');
    }
  }
  if (!Array.isArray(o.keyterms)) fail('keyterms must be an array of strings');
  if (o.keyterms.length > 0 && !o.model.startsWith('nova-3')) {
    fail(`keyterms work with nova-3 models only (model is ${o.model})`);
  }
  for (const term of o.keyterms) {
    if (typeof term !== 'string' || term.trim() === '') fail('keyterms must be non-empty strings');
    // `word:2` is the boost syntax of the older `keywords` parameter, which nova-3 rejects.
    if (/:-?\d+(\.\d+)?$/.test(term.trim())) {
      fail(
        `keyterm "${term}" looks like a keywords boost ("word:intensifier"); keyterms take the words alone`,
      );
    }
  }
  if (!isWholeNumber(o.sampleRate, 1) || o.sampleRate > 192_000) {
    fail(`sampleRate must be a whole number of Hz, 1 to 192000 (got ${String(o.sampleRate)})`);
  }
  if (!isWholeNumber(o.keepaliveIntervalMs, 1)) {
    fail(
      `keepaliveIntervalMs must be a whole number of ms > 0 (got ${String(o.keepaliveIntervalMs)})`,
    );
  }
}

function isWholeNumber(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

function parseBaseURL(value: string, fail: (message: string) => never): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(`baseURL is not a URL: ${JSON.stringify(value)}`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    fail(`baseURL must be http(s) or ws(s) (got ${url.protocol})`);
  }
  return url;
}

/** `{base}/v1/listen` on the given scheme family, keeping any path prefix of the base (a proxy's). */
function listenURL(base: URL, websocket: boolean): URL {
  const secure = base.protocol === 'https:' || base.protocol === 'wss:';
  const url = new URL(base);
  url.protocol = websocket ? (secure ? 'wss:' : 'ws:') : secure ? 'https:' : 'http:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/listen`;
  url.search = '';
  return url;
}

/**
 * The streaming URL. Values keep their case (the reference lower-cased the whole query,
 * turning `en-US` into `en-us`), arrays repeat their key, and spaces travel as `%20`,
 * as the official SDK sends them, not as the form encoding's `+`.
 */
export function liveURL(o: ResolvedOptions, language: string): string {
  const query = new URLSearchParams();
  query.append('model', o.model);
  query.append('language', language);
  query.append('encoding', 'linear16');
  query.append('sample_rate', String(o.sampleRate));
  query.append('channels', '1');
  query.append('interim_results', String(o.interimResults));
  query.append('punctuate', String(o.punctuate));
  query.append('smart_format', String(o.smartFormat));
  query.append('endpointing', String(o.endpointingMs));
  // SpeechStarted messages: the earliest START_OF_SPEECH.
  query.append('vad_events', 'true');
  if (o.utteranceEndMs !== undefined) query.append('utterance_end_ms', String(o.utteranceEndMs));
  appendShared(query, o);
  const url = listenURL(o.baseURL, true);
  return `${url.href}?${query.toString().replaceAll('+', '%20')}`;
}

/** The pre-recorded endpoint's base URL (the SDK adds `/v1/listen`). */
export function restBaseURL(o: ResolvedOptions): string {
  return listenURL(o.baseURL, false).href.replace(/\/v1\/listen$/, '');
}

/** Parameters for the pre-recorded request, in the SDK's names. */
export function prerecordedParams(o: ResolvedOptions, language: string) {
  return {
    model: o.model,
    language,
    punctuate: o.punctuate,
    smart_format: o.smartFormat,
    ...(o.fillerWords !== undefined ? { filler_words: o.fillerWords } : {}),
    ...(o.profanityFilter !== undefined ? { profanity_filter: o.profanityFilter } : {}),
    ...(o.keyterms.length > 0 ? { keyterm: [...o.keyterms] } : {}),
  };
}

function appendShared(query: URLSearchParams, o: ResolvedOptions): void {
  if (o.fillerWords !== undefined) query.append('filler_words', String(o.fillerWords));
  if (o.profanityFilter !== undefined) query.append('profanity_filter', String(o.profanityFilter));
  for (const term of o.keyterms) query.append('keyterm', term);
}
