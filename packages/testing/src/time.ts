/**
 * TEST_TIME_SCALE as a number >= 1 (default 1). Stand-ins and tests multiply
 * their deadlines by it, so a slow or busy machine raises one variable
 * instead of every test guessing its own margin.
 */
export function testTimeScale(): number {
  const scale = Number(process.env.TEST_TIME_SCALE ?? 1);
  return Number.isFinite(scale) && scale >= 1 ? scale : 1;
}

/** `ms` times TEST_TIME_SCALE: a deadline for a test or a stand-in wait. */
export function scaledMs(ms: number): number {
  return Math.round(ms * testTimeScale());
}
