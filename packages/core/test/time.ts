/**
 * Deadlines for tests, times TEST_TIME_SCALE (default 1): a slow or busy
 * machine raises one variable instead of each test guessing its margin.
 * (@agents/testing exports the same for packages that depend on it.)
 */
export function scaledMs(ms: number): number {
  const scale = Number(process.env.TEST_TIME_SCALE ?? 1);
  return Math.round(ms * (Number.isFinite(scale) && scale >= 1 ? scale : 1));
}
