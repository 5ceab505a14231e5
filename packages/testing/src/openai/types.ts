/** The endpoints the stand-in serves, by the name the script and the request log use. */
export type OpenAIEndpoint = 'chat' | 'speech' | 'transcriptions' | 'models';

/** A tool call in a scripted reply. `arguments` as an object is sent as its JSON text. */
export interface OpenAIScriptedToolCall {
  name: string;
  /** A string is sent as is, so a test can send arguments that are not valid JSON. */
  arguments: string | Record<string, unknown>;
  /** Default: `call_<request>_<n>`. */
  id?: string;
}

/** One reply of `/v1/chat/completions`. */
export interface OpenAIChatReply {
  /** The text; a string is streamed a word at a time, an array one element per chunk. */
  content?: string | string[];
  /** Calls the model asks for, streamed after the content. */
  toolCalls?: OpenAIScriptedToolCall[];
  /** How many pieces each call's arguments are cut into when streamed. Default 3. */
  argumentFragments?: number;
  /**
   * Streams the calls' pieces interleaved (a piece of call 0, a piece of call 1, ...).
   * OpenAI sends one call after another; interleaving checks that a client joins
   * fragments by their `index`, not by their order.
   */
  interleaveToolCalls?: boolean;
  /** Default: `tool_calls` when there are calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Default: about one token per 4 characters, as the real service roughly counts. */
  usage?: { promptTokens: number; completionTokens: number };
  /** Wait between the response headers and the first chunk. Default 0. */
  firstChunkDelayMs?: number;
  /** Wait between chunks. Default 0. */
  chunkDelayMs?: number;
}

/** One reply of `/v1/audio/speech`: the test signal, as 24 kHz 16-bit mono PCM. */
export interface OpenAISpeechReply {
  /** Length of the audio. Default: 60 ms per character of input (at least 200 ms), divided by `speed`. */
  audioMs?: number;
  /**
   * Size of the body's chunks. Default 4801: odd on purpose, since real HTTP bodies
   * split samples between chunks and a client must join them.
   */
  chunkBytes?: number;
  firstChunkDelayMs?: number;
  chunkDelayMs?: number;
}

/** One reply of `/v1/audio/transcriptions`. */
export interface OpenAITranscriptionReply {
  text: string;
  /** Reported by `verbose_json` answers. Default: the request's `language`, else `english`. */
  language?: string;
  delayMs?: number;
}

/** A scripted reply per endpoint, consumed one per request, in order. */
export interface OpenAIScript {
  chat?: OpenAIChatReply[];
  speech?: OpenAISpeechReply[];
  transcriptions?: OpenAITranscriptionReply[];
}

/** What can go wrong on purpose. A fault applies to one request and is then used up. */
export type OpenAIFault =
  /** Answer with this status and an OpenAI error body, instead of a reply (which stays queued). */
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  /** Send the headers at once but hold the first chunk back this long (a slow first token). */
  | { kind: 'slow'; firstChunkDelayMs: number }
  /** Send this many chunks of the reply, then drop the connection (no end of body, no [DONE]). */
  | { kind: 'cut'; afterChunks: number };

/** How an exchange ended. */
export type OpenAIRequestOutcome =
  | 'pending'
  /** The whole response was sent. */
  | 'completed'
  /** The client closed the connection before the response was complete (an abort). */
  | 'client_closed'
  /** The stand-in dropped the connection, as a `cut` fault asked. */
  | 'cut';

/** An uploaded WAV file, as the stand-in decoded it. */
export interface OpenAIUploadedAudio {
  filename: string;
  contentType: string;
  bytes: number;
  sampleRate: number;
  numChannels: number;
  samplesPerChannel: number;
  durationMs: number;
}

/** One request the stand-in received, for a test's assertions. */
export interface OpenAIRequest {
  /** 1 for the first request, then 2, ... */
  readonly seq: number;
  readonly method: string;
  /** The URL path, e.g. `/v1/chat/completions`. */
  readonly path: string;
  readonly endpoint: OpenAIEndpoint | undefined;
  /** The request passed the API key check. */
  authorized: boolean;
  /** The JSON body, or the text fields of a multipart upload. */
  body: unknown;
  /** Transcriptions only: the uploaded file, when it was a valid WAV. */
  upload?: OpenAIUploadedAudio;
  /** The fault applied to this request, if any. */
  fault?: OpenAIFault;
  /** The status sent, once headers went out. */
  status?: number;
  /** `performance.now()` when the stand-in began writing the body: for latency benchmarks. */
  firstByteAt?: number;
  outcome: OpenAIRequestOutcome;
}
