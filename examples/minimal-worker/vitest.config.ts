import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// The example starts a real worker through tsx: give it more time than a unit test.
export default mergeConfig(shared, { test: { testTimeout: 60_000 } });
