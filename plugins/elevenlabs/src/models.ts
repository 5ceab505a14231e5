/** Models that stream over the websocket (`eleven_v3` does not). Any other id is passed through. */
export type TTSModel =
  | 'eleven_flash_v2_5'
  | 'eleven_turbo_v2_5'
  | 'eleven_flash_v2'
  | 'eleven_turbo_v2'
  | 'eleven_multilingual_v2'
  | (string & {});

/**
 * Output formats this plugin decodes: raw 16-bit mono PCM at a rate, or MP3
 * (`mp3_<rate>_<kbps>`, less bandwidth on slow links).
 */
export const TTS_ENCODINGS = [
  'pcm_16000',
  'pcm_22050',
  'pcm_24000',
  'pcm_44100',
  'mp3_22050_32',
  'mp3_44100_32',
  'mp3_44100_64',
  'mp3_44100_96',
  'mp3_44100_128',
  'mp3_44100_192',
] as const;

export type TTSEncoding = (typeof TTS_ENCODINGS)[number];

/**
 * "Sarah", a premade voice every account has (the default of the ElevenLabs
 * plugin of LiveKit Agents 0.7). `listVoices()` lists the others.
 */
export const DEFAULT_VOICE_ID = 'EXAVITQu4vr4xnSDxMaL';

/** How a voice speaks; unset fields keep the voice's own settings. */
export interface VoiceSettings {
  /** 0 to 1: higher is more even, lower more expressive. */
  stability?: number;
  /** 0 to 1: how closely to match the original voice. */
  similarityBoost?: number;
  /** 0 to 1: style exaggeration (adds latency above 0). */
  style?: number;
  useSpeakerBoost?: boolean;
  /** 0.7 to 1.2; default 1. */
  speed?: number;
}

/** A voice of the account, from `listVoices()`. */
export interface Voice {
  id: string;
  name: string;
  /** `premade`, `cloned`, `generated`, `professional`... */
  category: string;
  labels: Record<string, string>;
}

export function sampleRateOf(encoding: TTSEncoding): number {
  return Number(encoding.split('_')[1]);
}

export function isMp3(encoding: TTSEncoding): boolean {
  return encoding.startsWith('mp3_');
}
