// CONTRACT for issue 13 (agreed before implementation): the plugin conformance
// kit's public shape. A plugin author writes one test file:
//
//   import { describeSTTConformance } from '@agents/testing/conformance';
//   describeSTTConformance({
//     name: 'my STT',
//     packageName: '@acme/agents-plugin-foo',      // checked: importing it registers exactly one plugin
//     create: (service) => new STT({ apiKey: 'k', baseURL: service.url }),
//     createWithBadKey: (service) => new STT({ apiKey: 'wrong', baseURL: service.url }),
//     service: async () => ({ ...control of the stand-in... }),
//   });
//
// and runs it under vitest (`describe`/`it` are taken from vitest's globals or
// passed in `test`). Each suite is a list of checks (plain async functions
// using node:assert), so the kit's own tests can run a single check against a
// deliberately broken plugin and see it fail.
import type { llm, stt, tts, vad } from '@agents/core';

/** The `describe`/`it` of the test framework (vitest's fit as they are). */
export interface ConformanceTestAPI {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void, timeoutMs?: number): void;
}

/**
 * The remote service a plugin talks to during the checks: a stand-in (ours
 * from @agents/testing, or one the plugin ships), started fresh per check.
 * Checks that need a capability the service lacks are skipped with a reason.
 */
export interface ServiceControl {
  /** Base URL the plugin is pointed at (http:// or ws://). */
  url: string;
  /** Upstream connections or requests open now (to check close/break ended them). */
  openConnections(): number;
  /**
   * Requests in progress now, as the service sees them: an HTTP exchange, or a
   * synthesis context on a socket the plugin keeps open between requests (a
   * warm connection is no leak; an unfinished request is). The close and
   * `break` checks wait for it to drop. Default: `openConnections()`.
   */
  openRequests?(): number;
  /** Drops every open connection abruptly, as a network failure does (reconnect check). */
  dropConnections?(): void | Promise<void>;
  /**
   * Makes the next request (the next `times`, default 1) fail with this HTTP
   * status (typed-error and retryable checks). A streaming plugin's next
   * connection attempt counts as a request.
   */
  failNext?(status: number, times?: number): void;
  close(): Promise<void>;
}

export interface CommonConformanceOptions<Model> {
  /** Shown in the suite's title, e.g. 'Deepgram STT'. */
  name: string;
  /** The package whose import must register exactly one plugin (skipped when absent). */
  packageName?: string;
  /** Starts the service for one check. */
  service: () => Promise<ServiceControl>;
  /** A model pointed at `service`. */
  create: (service: ServiceControl) => Model | Promise<Model>;
  /** A model with a key the service refuses (the auth check; skipped when absent). */
  createWithBadKey?: (service: ServiceControl) => Model | Promise<Model>;
  /** Check ids to skip, each with the reason (printed as the skipped test's name). */
  skip?: Partial<Record<string, string>>;
  /** Run only these check ids (e.g. the forking `registration` check in an `*.e2e.test.ts` file). */
  only?: readonly string[];
  /** Where `packageName` resolves from in the registration check's child process. Default: process.cwd(). */
  packageDir?: string;
  /** Defaults to vitest's globals. */
  test?: ConformanceTestAPI;
}

export interface STTConformanceOptions extends CommonConformanceOptions<stt.STT> {
  /**
   * Called before audio is sent: `utterances` are the words of the kit's
   * speech fixture, one per speech region, in order (FIXTURE_UTTERANCES,
   * repeated when the check sends the fixture several times). A stand-in
   * scripts them; a real service hears them.
   */
  prepare?: (service: ServiceControl, utterances: readonly string[]) => void | Promise<void>;
}

export interface TTSConformanceOptions extends CommonConformanceOptions<tts.TTS> {
  /** Lets the service speak these texts (a stand-in may need them registered). */
  prepare?: (service: ServiceControl, texts: readonly string[]) => void | Promise<void>;
  /**
   * The TTS gives word timings (`words` on its audio or FINISHED events) from
   * `stream()`: then the kit checks them. Default false.
   */
  wordTimings?: boolean;
}

export interface LLMConformanceOptions extends CommonConformanceOptions<llm.LLM> {
  /** Scripts the service's replies: plain text, or a tool call, for the checks that follow. */
  prepare?: (
    service: ServiceControl,
    replies: readonly ({ text: string } | { toolCall: { name: string; arguments: unknown } })[],
  ) => void | Promise<void>;
}

/** A VAD runs locally: no service. */
export interface VADConformanceOptions {
  name: string;
  packageName?: string;
  create: () => vad.VAD | Promise<vad.VAD>;
  skip?: Partial<Record<string, string>>;
  only?: readonly string[];
  packageDir?: string;
  test?: ConformanceTestAPI;
}

/** One check: `run` throws (an AssertionError) when the plugin fails it. */
export interface ConformanceCheck<Options> {
  id: string;
  title: string;
  timeoutMs: number;
  /** A reason to skip the check for these options (a missing capability), known before it runs. */
  skipIf?(options: Options): string | undefined;
  run(options: Options): Promise<void>;
}
