import { plugin } from '@agents/core';
import {
  DEFAULT_VOICE_ID,
  TTS_ENCODINGS,
  type TTSEncoding,
  type TTSModel,
  type VoiceSettings,
} from './models.js';

export interface TTSOptions {
  /** Voice id; default `DEFAULT_VOICE_ID` ("Sarah"). */
  voice?: string;
  /** Default `eleven_flash_v2_5`, the fastest to first audio. */
  model?: TTSModel;
  /** ISO 639-1 code (`en`, `de`) to enforce a language; flash and turbo v2.5 models only. */
  languageCode?: string;
  voiceSettings?: VoiceSettings;
  /** Default `pcm_24000`: plays as it arrives with no decoder in between. */
  encoding?: TTSEncoding;
  /**
   * Characters ElevenLabs buffers before each generation of a context (the
   * 1st, 2nd, 3rd, then every later one), each 50 to 500. Lower first values
   * give earlier first audio at some cost in prosody. Default: the service's
   * own, `[120, 160, 250, 290]`.
   */
  chunkLengthSchedule?: number[];
  /**
   * Seconds (1 to 180) the service keeps a connection with no text. Open
   * streams never reach it (a keepalive runs while they wait for text); it is
   * how long a warm connection survives between replies. Default 180.
   */
  inactivityTimeout?: number;
  /** Default: `ELEVEN_API_KEY` from the environment. */
  apiKey?: string;
  /** Default `https://api.elevenlabs.io/v1` (the `/v1` belongs in it). */
  baseURL?: string;
  /** Retries and the deadline of each attempt (connect, first byte). */
  connectOptions?: Partial<plugin.APIConnectOptions>;
}

/** The options that the websocket's URL and first messages carry: a change needs a new connection. */
export interface SessionOptions {
  voice: string;
  model: string;
  languageCode: string | undefined;
  voiceSettings: VoiceSettings | undefined;
}

export interface ResolvedOptions extends SessionOptions {
  encoding: TTSEncoding;
  chunkLengthSchedule: number[] | undefined;
  inactivityTimeout: number;
  apiKey: string;
  baseURL: string;
  connect: plugin.APIConnectOptions;
}

export const DEFAULT_BASE_URL = 'https://api.elevenlabs.io/v1';

/** Every option checked when the TTS is created, so a mistake fails there, naming the option. */
export function resolveOptions(options: TTSOptions, label: string): ResolvedOptions {
  const fail = (message: string): never => {
    throw new TypeError(`${label}: ${message}`);
  };
  const apiKey = options.apiKey ?? process.env.ELEVEN_API_KEY;
  if (!apiKey) fail('no ElevenLabs API key: set ELEVEN_API_KEY or pass the apiKey option');
  const encoding = options.encoding ?? 'pcm_24000';
  if (!(TTS_ENCODINGS as readonly string[]).includes(encoding)) {
    fail(`encoding must be one of ${TTS_ENCODINGS.join(', ')} (got ${String(encoding)})`);
  }
  const schedule = options.chunkLengthSchedule;
  if (schedule !== undefined) {
    if (!Array.isArray(schedule) || schedule.length === 0) {
      fail('chunkLengthSchedule must be a non-empty array of character counts');
    }
    for (const value of schedule) {
      if (!Number.isInteger(value) || value < 50 || value > 500) {
        fail(`chunkLengthSchedule values must be whole numbers from 50 to 500 (got ${value})`);
      }
    }
  }
  const inactivityTimeout = options.inactivityTimeout ?? 180;
  if (!Number.isInteger(inactivityTimeout) || inactivityTimeout < 1 || inactivityTimeout > 180) {
    fail(`inactivityTimeout must be whole seconds from 1 to 180 (got ${inactivityTimeout})`);
  }
  const baseURL = (options.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(baseURL) || !URL.canParse(baseURL)) {
    fail(`baseURL must be an http(s) URL such as ${DEFAULT_BASE_URL} (got ${baseURL})`);
  }
  return {
    ...resolveSessionOptions(options, label),
    encoding,
    chunkLengthSchedule: schedule ? [...schedule] : undefined,
    inactivityTimeout,
    apiKey: apiKey as string,
    baseURL,
    connect: plugin.resolveConnectOptions(options.connectOptions),
  };
}

/** Checks the options `updateOptions()` may change. */
export function resolveSessionOptions(
  options: Partial<SessionOptions>,
  label: string,
): SessionOptions {
  const fail = (message: string): never => {
    throw new TypeError(`${label}: ${message}`);
  };
  const voice = options.voice ?? DEFAULT_VOICE_ID;
  if (typeof voice !== 'string' || !/^[A-Za-z0-9_-]+$/.test(voice)) {
    fail(`voice must be a voice id such as ${DEFAULT_VOICE_ID} (got ${String(voice)})`);
  }
  const model = options.model ?? 'eleven_flash_v2_5';
  if (typeof model !== 'string' || model.trim() === '') {
    fail(`model must be a model id such as eleven_flash_v2_5 (got ${String(model)})`);
  }
  const { languageCode, voiceSettings } = options;
  if (languageCode !== undefined && !/^[a-z]{2,3}$/i.test(languageCode)) {
    fail(`languageCode must be an ISO 639-1 code such as "en" (got ${String(languageCode)})`);
  }
  if (voiceSettings !== undefined) checkVoiceSettings(voiceSettings, fail);
  return {
    voice,
    model,
    languageCode: languageCode?.toLowerCase(),
    voiceSettings: voiceSettings ? { ...voiceSettings } : undefined,
  };
}

function checkVoiceSettings(settings: VoiceSettings, fail: (message: string) => never): void {
  const ranges = {
    stability: [0, 1],
    similarityBoost: [0, 1],
    style: [0, 1],
    speed: [0.7, 1.2],
  } as const;
  for (const [key, [min, max]] of Object.entries(ranges)) {
    const value = settings[key as keyof typeof ranges];
    if (value !== undefined && !(typeof value === 'number' && value >= min && value <= max)) {
      fail(`voiceSettings.${key} must be from ${min} to ${max} (got ${String(value)})`);
    }
  }
  const boost = settings.useSpeakerBoost;
  if (boost !== undefined && typeof boost !== 'boolean') {
    fail(`voiceSettings.useSpeakerBoost must be true or false (got ${String(boost)})`);
  }
}

/** The wire form of voice settings: snake_case, unset fields left out. */
export function voiceSettingsBody(settings: VoiceSettings | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (!settings) return body;
  if (settings.stability !== undefined) body.stability = settings.stability;
  if (settings.similarityBoost !== undefined) body.similarity_boost = settings.similarityBoost;
  if (settings.style !== undefined) body.style = settings.style;
  if (settings.useSpeakerBoost !== undefined) body.use_speaker_boost = settings.useSpeakerBoost;
  if (settings.speed !== undefined) body.speed = settings.speed;
  return body;
}
