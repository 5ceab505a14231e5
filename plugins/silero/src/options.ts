/** How speech is told from silence. Every duration is in seconds of audio. */
export interface DetectionOptions {
  /** Speech shorter than this is ignored (a cough, a click). Default 0.05. */
  minSpeechDuration: number;
  /** Silence that ends an utterance; shorter pauses stay inside it. Default 0.55. */
  minSilenceDuration: number;
  /**
   * Audio before the detected start of speech that the events' frames include, so that a
   * soft first syllable is not cut off. Default 0.5.
   */
  prefixPaddingDuration: number;
  /** A window whose speech probability reaches this is speech. Default 0.5. */
  activationThreshold: number;
  /**
   * A window whose probability falls below this is silence. A window between the two
   * thresholds continues what came before, so a probability hovering around one threshold
   * does not flap between speech and silence. Default: activationThreshold - 0.15, and never
   * below half of it.
   */
  deactivationThreshold: number;
  /**
   * Most audio one utterance's frames hold, prefix padding included. Longer speech still
   * gets correct durations, but its frames stop growing (with a warning). Default 60.
   */
  maxBufferedSpeech: number;
}

/** The rates the Silero v5 model runs at. Input of any rate is resampled to this. */
export type ModelSampleRate = 8000 | 16000;

export interface VADOptions extends Partial<DetectionOptions> {
  /** Default 16000. 8000 halves the work, at some cost in accuracy. */
  sampleRate?: ModelSampleRate;
  /** Another Silero VAD v5 ONNX file to load instead of the one shipped with this package. */
  modelPath?: string;
}

const DEFAULTS = {
  minSpeechDuration: 0.05,
  minSilenceDuration: 0.55,
  prefixPaddingDuration: 0.5,
  activationThreshold: 0.5,
  maxBufferedSpeech: 60,
} as const;

const DETECTION_KEYS = [...Object.keys(DEFAULTS), 'deactivationThreshold'];
const LOAD_KEYS = [...DETECTION_KEYS, 'sampleRate', 'modelPath'];

export function defaultDeactivationThreshold(activationThreshold: number): number {
  return Math.max(activationThreshold - 0.15, activationThreshold / 2);
}

/**
 * Fills in defaults and checks every value; throws a RangeError naming the first bad one.
 * A deactivation threshold that was not asked for follows the activation threshold.
 */
export function resolveDetectionOptions(requested: Partial<DetectionOptions>): DetectionOptions {
  rejectUnknownKeys(requested, DETECTION_KEYS);
  const given = withoutUndefined(requested);
  const activationThreshold = given.activationThreshold ?? DEFAULTS.activationThreshold;
  const options: DetectionOptions = {
    ...DEFAULTS,
    ...given,
    deactivationThreshold:
      given.deactivationThreshold ?? defaultDeactivationThreshold(activationThreshold),
  };
  checkSeconds('minSpeechDuration', options.minSpeechDuration);
  checkSeconds('minSilenceDuration', options.minSilenceDuration);
  checkSeconds('prefixPaddingDuration', options.prefixPaddingDuration);
  checkSeconds('maxBufferedSpeech', options.maxBufferedSpeech);
  const { activationThreshold: on, deactivationThreshold: off } = options;
  if (!(typeof on === 'number' && on > 0 && on < 1)) {
    throw new RangeError(`silero.VAD: activationThreshold must be between 0 and 1 (got ${on})`);
  }
  if (!(typeof off === 'number' && off > 0 && off <= on)) {
    throw new RangeError(
      `silero.VAD: deactivationThreshold must be above 0 and at most activationThreshold ` +
        `(${on}) (got ${off})`,
    );
  }
  // The buffer must at least hold the padding plus the speech it takes to decide speech began.
  const needed = options.prefixPaddingDuration + options.minSpeechDuration;
  if (options.maxBufferedSpeech <= needed) {
    throw new RangeError(
      `silero.VAD: maxBufferedSpeech (${options.maxBufferedSpeech} s) must exceed ` +
        `prefixPaddingDuration + minSpeechDuration (${needed} s)`,
    );
  }
  return Object.freeze(options);
}

/** Checks the options `VAD.load()` takes beyond detection; returns the model's rate. */
export function resolveSampleRate(options: VADOptions): ModelSampleRate {
  rejectUnknownKeys(options, LOAD_KEYS);
  const rate = options.sampleRate ?? 16000;
  if (rate !== 16000 && rate !== 8000) {
    throw new RangeError(
      `silero.VAD: sampleRate must be 16000 or 8000, the rates the model runs at (got ${rate}); ` +
        'input audio of any rate is resampled to it',
    );
  }
  return rate;
}

export function detectionOptionsOf(options: VADOptions): Partial<DetectionOptions> {
  const { sampleRate: _rate, modelPath: _path, ...detection } = options;
  return detection;
}

function checkSeconds(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `silero.VAD: ${name} must be a finite number of seconds >= 0 (got ${String(value)})`,
    );
  }
}

/** Plain JavaScript callers get no compile-time check, and a misspelt option would be ignored. */
function rejectUnknownKeys(options: object, known: readonly string[]): void {
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `silero.VAD: unknown option(s) ${unknown.join(', ')}; known: ${known.join(', ')}`,
    );
  }
}

/** `{ x: undefined }` means "not given", so it must not override a default or an earlier value. */
export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
