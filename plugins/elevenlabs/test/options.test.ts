import { describe, expect, it } from 'vitest';
import { TTS } from '../src/index.js';

const create = (options: ConstructorParameters<typeof TTS>[0]) => () =>
  new TTS({ apiKey: 'k', ...options });

describe('TTS options', () => {
  it('has the documented defaults, with the sample rate from the encoding', () => {
    const model = new TTS({ apiKey: 'k' });
    expect(model).toMatchObject({
      label: 'elevenlabs.TTS',
      voice: 'EXAVITQu4vr4xnSDxMaL',
      model: 'eleven_flash_v2_5',
      encoding: 'pcm_24000',
      sampleRate: 24_000,
      numChannels: 1,
      capabilities: { streaming: true },
    });
    expect(new TTS({ apiKey: 'k', encoding: 'pcm_44100' }).sampleRate).toBe(44_100);
  });

  it('without a key fails when created, naming ELEVEN_API_KEY', () => {
    const saved = process.env.ELEVEN_API_KEY;
    delete process.env.ELEVEN_API_KEY;
    try {
      expect(() => new TTS()).toThrow(/ELEVEN_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.ELEVEN_API_KEY = saved;
    }
  });

  it.each([
    ['encoding', { encoding: 'wav_16000' as never }],
    ['chunkLengthSchedule', { chunkLengthSchedule: [40, 120] }],
    ['chunkLengthSchedule', { chunkLengthSchedule: [] }],
    ['chunkLengthSchedule', { chunkLengthSchedule: [120, 501] }],
    ['inactivityTimeout', { inactivityTimeout: 181 }],
    ['inactivityTimeout', { inactivityTimeout: 0.5 }],
    ['voiceSettings.stability', { voiceSettings: { stability: 1.5 } }],
    ['voiceSettings.similarityBoost', { voiceSettings: { similarityBoost: -0.1 } }],
    ['voiceSettings.style', { voiceSettings: { style: 2 } }],
    ['voiceSettings.speed', { voiceSettings: { speed: 2 } }],
    ['voiceSettings.useSpeakerBoost', { voiceSettings: { useSpeakerBoost: 'yes' as never } }],
    ['languageCode', { languageCode: 'english' }],
    ['voice', { voice: 'no such/voice' }],
    ['model', { model: ' ' }],
    ['baseURL', { baseURL: 'api.elevenlabs.io' }],
    ['maxRetry', { connectOptions: { maxRetry: -1 } }],
  ])('rejects a bad %s when created, naming it', (name, options) => {
    expect(create(options)).toThrow(name);
  });

  it('takes the MP3 encodings, at the rate in their name', () => {
    expect(new TTS({ apiKey: 'k', encoding: 'mp3_22050_32' }).sampleRate).toBe(22_050);
    expect(new TTS({ apiKey: 'k', encoding: 'mp3_44100_128' }).sampleRate).toBe(44_100);
  });

  it('checks updateOptions() values the same way', () => {
    const model = new TTS({ apiKey: 'k' });
    expect(() => model.updateOptions({ voiceSettings: { speed: 3 } })).toThrow(
      'voiceSettings.speed',
    );
    model.updateOptions({ voice: 'abc123', model: 'eleven_turbo_v2_5' });
    expect(model).toMatchObject({ voice: 'abc123', model: 'eleven_turbo_v2_5' });
  });
});
