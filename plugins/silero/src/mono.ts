/**
 * Writes 16-bit PCM (interleaved, `channels` samples per instant) into `out` from `at` as
 * floats in [-1, 1], mixed down to mono by averaging the channels. Returns where the next
 * sample goes.
 */
export function writeMonoFloats(
  data: Int16Array,
  channels: number,
  samplesPerChannel: number,
  out: Float32Array | Float64Array,
  at: number,
): number {
  let end = at;
  if (channels === 1) {
    for (let i = 0; i < samplesPerChannel; i++) out[end++] = data[i]! / 32768;
    return end;
  }
  const scale = 1 / (32768 * channels);
  for (let i = 0, from = 0; i < samplesPerChannel; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += data[from++]!;
    out[end++] = sum * scale;
  }
  return end;
}
