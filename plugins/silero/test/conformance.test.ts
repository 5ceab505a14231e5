import { describeVADConformance } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { VAD } from '../src/index.js';

describeVADConformance({
  name: 'silero.VAD',
  create: () => VAD.load(),
  skip: { registration: 'forks: in conformance.e2e.test.ts' },
  test: { describe, it },
});
