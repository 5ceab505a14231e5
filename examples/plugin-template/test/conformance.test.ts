import { tts } from '@agents/core';
import { describeTTSConformance } from '@agents/testing/conformance';
import { TTS } from '../src/tts.js';
import { KEY, options } from './conformance-options.js';

// Every check but the one that forks node, which runs in conformance.e2e.test.ts.
// Tone does not stream, so the kit skips its stream() checks here...
describeTTSConformance({
  ...options,
  skip: { registration: 'forks node: run by conformance.e2e.test.ts' },
});

// ...and runs them here, through tts.StreamAdapter, the way an app streams with it.
describeTTSConformance({
  ...options,
  name: 'Tone TTS in tts.StreamAdapter',
  create: (service) =>
    new tts.StreamAdapter({
      tts: new TTS({ apiKey: KEY, baseURL: service.url, connectOptions: { retryIntervalMs: 10 } }),
    }),
  createWithBadKey: (service) =>
    new tts.StreamAdapter({ tts: new TTS({ apiKey: 'not-the-key', baseURL: service.url }) }),
  skip: {
    registration: 'the same package as above',
    metrics: "the adapter passes on tone.TTS's metrics under tone.TTS's label; checked above",
  },
});
