import { describe, expect, it } from 'vitest';
import {
  liveURL,
  prerecordedParams,
  resolveOptions,
  restBaseURL,
  updateOptions,
} from '../src/options.js';
import { STT } from '../src/stt.js';

const KEY = { apiKey: 'dg-test' };

function query(url: string): URLSearchParams {
  return new URL(url).searchParams;
}

describe('STT options', () => {
  it('fails without a key, naming DEEPGRAM_API_KEY', () => {
    const saved = process.env.DEEPGRAM_API_KEY;
    delete process.env.DEEPGRAM_API_KEY;
    try {
      expect(() => new STT()).toThrow(/DEEPGRAM_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.DEEPGRAM_API_KEY = saved;
    }
  });

  it.each([
    [{ keyterms: ['Acme'], model: 'nova-2-general' }, /keyterms.*nova-3/],
    [{ keyterms: ['Acme:2'] }, /keyterm "Acme:2".*keywords/],
    [{ keyterms: [''] }, /keyterms must be non-empty/],
    [{ keywords: ['Acme:2'] }, /no keywords option.*keyterms/],
    [{ utteranceEndMs: 1000, interimResults: false }, /utteranceEndMs needs interimResults/],
    [{ utteranceEndMs: 0 }, /utteranceEndMs must be/],
    [{ sampleRate: 0 }, /sampleRate must be/],
    [{ sampleRate: 16000.5 }, /sampleRate must be/],
    [{ endpointingMs: -1 }, /endpointingMs must be/],
    [{ endpointingMs: 2.5 }, /endpointingMs must be/],
    [{ model: '' }, /model must be/],
    [{ language: ' ' }, /language must be/],
    [{ punctuate: 'yes' }, /punctuate must be true or false/],
    [{ fillerWords: 1 }, /fillerWords must be true or false/],
    [{ baseURL: 'api.deepgram.com' }, /baseURL is not a URL/],
    [{ baseURL: 'ftp://api.deepgram.com' }, /baseURL must be http/],
    [{ keepaliveIntervalMs: 0 }, /keepaliveIntervalMs must be/],
    [{ connectOptions: { timeoutMs: 0 } }, /timeoutMs/],
  ])('rejects %o when created, naming the option', (options, message) => {
    expect(() => new STT({ ...KEY, ...(options as object) })).toThrow(message);
  });

  it('streams with the defaults of the issue, keeping the case of values', () => {
    const url = liveURL(resolveOptions(KEY, 'test'), 'en-US');
    expect(url.startsWith('wss://api.deepgram.com/v1/listen?')).toBe(true);
    expect(Object.fromEntries(query(url))).toEqual({
      model: 'nova-3',
      language: 'en-US',
      encoding: 'linear16',
      sample_rate: '16000',
      channels: '1',
      interim_results: 'true',
      punctuate: 'true',
      smart_format: 'true',
      endpointing: '25',
      vad_events: 'true',
    });
  });

  it('repeats the key per keyterm, with spaces as %20, and sends the optional flags', () => {
    const options = resolveOptions(
      {
        ...KEY,
        keyterms: ['Acme Corp', 'DeepGram'],
        utteranceEndMs: 1000,
        fillerWords: true,
        profanityFilter: false,
        endpointingMs: false,
        sampleRate: 24000,
        baseURL: 'http://127.0.0.1:1234',
      },
      'test',
    );
    const url = liveURL(options, 'fr-CA');
    expect(url).toContain('keyterm=Acme%20Corp&keyterm=DeepGram');
    expect(url.startsWith('ws://127.0.0.1:1234/v1/listen?')).toBe(true);
    const q = query(url);
    expect(q.getAll('keyterm')).toEqual(['Acme Corp', 'DeepGram']);
    expect(q.get('language')).toBe('fr-CA');
    expect(q.get('utterance_end_ms')).toBe('1000');
    expect(q.get('filler_words')).toBe('true');
    expect(q.get('profanity_filter')).toBe('false');
    expect(q.get('endpointing')).toBe('false');
    expect(q.get('sample_rate')).toBe('24000');
  });

  it('keeps a proxy path prefix and maps schemes both ways', () => {
    const options = resolveOptions({ ...KEY, baseURL: 'wss://proxy.example/deepgram/' }, 'test');
    expect(liveURL(options, 'en').startsWith('wss://proxy.example/deepgram/v1/listen?')).toBe(true);
    expect(restBaseURL(options)).toBe('https://proxy.example/deepgram');
  });

  it('sends the pre-recorded request the same options, in the SDK names', () => {
    const options = resolveOptions({ ...KEY, keyterms: ['Acme'], fillerWords: false }, 'test');
    expect(prerecordedParams(options, 'en-GB')).toEqual({
      model: 'nova-3',
      language: 'en-GB',
      punctuate: true,
      smart_format: true,
      filler_words: false,
      keyterm: ['Acme'],
    });
  });

  it('checks an update as a whole and leaves the options alone on a mistake', () => {
    const options = resolveOptions({ ...KEY, keyterms: ['Acme'] }, 'test');
    expect(() => updateOptions(options, { model: 'nova-2-general' }, 'test')).toThrow(
      /keyterms work with nova-3 models only/,
    );
    expect(() => updateOptions(options, { apiKey: 'x' } as never, 'test')).toThrow(
      /apiKey cannot change after creation/,
    );
    const next = updateOptions(options, { model: 'nova-2-general', keyterms: [] }, 'test');
    expect(next.model).toBe('nova-2-general');
    expect(options.model).toBe('nova-3');

    const model = new STT({ ...KEY, keyterms: ['Acme'] });
    expect(() => model.updateOptions({ model: 'nova-2' })).toThrow(/nova-3/);
    expect(model.model).toBe('nova-3');
  });
});
