import { describe, expect, it } from 'vitest';
import {
  closeContextMessage,
  keepaliveMessage,
  openContextMessage,
  parseServerMessage,
  streamURL,
  textMessage,
} from '../src/messages.js';
import { resolveOptions } from '../src/options.js';

const options = (extra = {}) => resolveOptions({ apiKey: 'k', ...extra }, 'test');

describe('messages to the service', () => {
  it('dials multi-stream-input with the options in the query, ws for http and wss for https', () => {
    const url = new URL(streamURL(options({ languageCode: 'DE', inactivityTimeout: 30 })));
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL/multi-stream-input');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      model_id: 'eleven_flash_v2_5',
      output_format: 'pcm_24000',
      language_code: 'de',
      inactivity_timeout: '30',
      sync_alignment: 'true',
    });
    expect(streamURL(options({ baseURL: 'http://127.0.0.1:9/v1/' }))).toMatch(
      /^ws:\/\/127\.0\.0\.1:9\/v1\/text-to-speech\//,
    );
  });

  it('opens a context with a single space, the voice settings and the chunk schedule', () => {
    const opened = JSON.parse(
      openContextMessage(
        'c1',
        options({
          voiceSettings: { stability: 0.5, similarityBoost: 0.8, useSpeakerBoost: true },
          chunkLengthSchedule: [50, 120],
        }),
      ),
    );
    expect(opened).toEqual({
      text: ' ',
      voice_settings: { stability: 0.5, similarity_boost: 0.8, use_speaker_boost: true },
      context_id: 'c1',
      generation_config: { chunk_length_schedule: [50, 120] },
    });
    expect(JSON.parse(openContextMessage('c2', options()))).toEqual({
      text: ' ',
      voice_settings: {},
      context_id: 'c2',
    });
  });

  it('sends text, flush, keepalive and close_context per context', () => {
    expect(JSON.parse(textMessage('c1', 'Hi '))).toEqual({ text: 'Hi ', context_id: 'c1' });
    expect(JSON.parse(textMessage('c1', '', true))).toEqual({
      text: '',
      context_id: 'c1',
      flush: true,
    });
    expect(JSON.parse(keepaliveMessage('c1'))).toEqual({ text: '', context_id: 'c1' });
    expect(JSON.parse(closeContextMessage('c1'))).toEqual({
      context_id: 'c1',
      close_context: true,
    });
  });
});

describe('parseServerMessage', () => {
  it('reads audio and both alignments, in either spelling of the keys', () => {
    const message = parseServerMessage(
      JSON.stringify({
        audio: Buffer.from([1, 0, 2, 0]).toString('base64'),
        isFinal: null,
        normalizedAlignment: { chars: ['a'], charStartTimesMs: [0], charDurationsMs: [40] },
        alignment: { chars: ['A'], charsStartTimesMs: [0], charsDurationsMs: [40] },
        contextId: 'c1',
      }),
    );
    expect(message).toMatchObject({
      contextId: 'c1',
      isFinal: false,
      normalized: { chars: ['a'], startsMs: [0], durationsMs: [40] },
      original: { chars: ['A'], startsMs: [0], durationsMs: [40] },
    });
    expect([...message!.audio!]).toEqual([1, 0, 2, 0]);
  });

  it('reads finals, errors with and without a context, and ignores what is not JSON', () => {
    expect(parseServerMessage('{"isFinal":true,"contextId":"c1"}')).toMatchObject({
      isFinal: true,
      contextId: 'c1',
      audio: undefined,
    });
    expect(
      parseServerMessage('{"message":"too slow","error":"input_timeout_exceeded","code":1008}'),
    ).toMatchObject({
      contextId: undefined,
      error: { message: 'too slow', error: 'input_timeout_exceeded', code: 1008 },
    });
    expect(parseServerMessage('{"message":"m","error":"e","context_id":"c2"}')?.contextId).toBe(
      'c2',
    );
    expect(parseServerMessage('not json')).toBeUndefined();
  });

  it('drops an alignment whose arrays differ in length', () => {
    const message = parseServerMessage(
      JSON.stringify({
        audio: 'AAA=',
        normalizedAlignment: { chars: ['a', 'b'], charStartTimesMs: [0], charDurationsMs: [1] },
        contextId: 'c1',
      }),
    );
    expect(message?.normalized).toBeUndefined();
  });
});
