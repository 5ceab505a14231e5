import { describeTTSConformance } from '@agents/testing/conformance';
import { options } from './conformance-options.js';

// `import` and `require` of the built package each register exactly one plugin, in a fresh process.
describeTTSConformance({ ...options, only: ['registration'] });
