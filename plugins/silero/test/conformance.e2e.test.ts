import { describeVADConformance } from '@agents/testing/conformance';
import { describe, it } from 'vitest';
import { VAD } from '../src/index.js';

// The check that forks (node -e, import and require of the built package).
describeVADConformance({
  name: 'silero.VAD',
  packageName: '@agents/plugin-silero',
  only: ['registration'],
  create: () => VAD.load(),
  test: { describe, it },
});
