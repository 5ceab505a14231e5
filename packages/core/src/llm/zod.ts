import type * as zod from 'zod';
import { lazyModule } from '../utils/lazy-module.js';

/**
 * zod, loaded on first use. It is the largest module graph core depends on, and only a tool
 * without parameters (and a schema without methods, from zod/mini) needs zod itself: the
 * schemas users make carry `toJSONSchema` and `safeParse` as methods.
 */
export const loadZod = lazyModule<typeof zod>('zod');
